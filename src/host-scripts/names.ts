/**
 * Script name rules. A name is a single path component of safe characters: no `/`, no `..`, no
 * leading dot or dash, and not a manifest file name. Checked before any file system access.
 */
import { BridgeError } from "../errors.ts";

/** Letters, digits, `.`, `_`, `-`; starts with a letter or digit; at most 64 characters. */
export const SCRIPT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The shared manifest file in the scripts directory. */
export const MANIFEST_FILE = "bridge-scripts.json";

/** Why a name is not acceptable, or undefined when it is. */
export function scriptNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || name.length === 0) return "the name is empty";
  if (name.includes("/") || name.includes("\\")) return "a script name is a file name, not a path (no '/')";
  if (name.includes("\0")) return "the name contains a NUL byte";
  if (name === "." || name === ".." || name.includes("..")) return "the name contains '..'";
  if (!SCRIPT_NAME_RE.test(name))
    return "only letters, digits, '.', '_' and '-' are allowed (starting with a letter or digit, at most 64)";
  if (name.endsWith(".json")) return "names ending in .json are manifests, not scripts";
  return undefined;
}

/** Throws SCRIPT_REJECTED unless `name` is a valid script name. */
export function assertScriptName(name: unknown): asserts name is string {
  const problem = scriptNameProblem(name);
  if (problem) {
    throw new BridgeError(
      "SCRIPT_REJECTED",
      `Script name ${JSON.stringify(String(name).slice(0, 80))} rejected: ${problem}.`,
      {
        hint: "Call run_script without a name for the names you may run.",
      },
    );
  }
}
