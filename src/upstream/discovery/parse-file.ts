/**
 * Parses a client config file's text (JSON with comments and trailing commas, TOML, or YAML) and
 * turns syntax errors into a ConfigProblem with the line and column in that file. Bun's built-in
 * parsers report the caller's JS position, not the input's, so positions come from jsonc-parser
 * and smol-toml; values come from Bun.JSONC, which keeps `__proto__` as an own key instead of
 * setting the prototype. YAML (Continue, goose) uses Bun.YAML, which reports no position.
 */
import { findNodeAtLocation, parse as parseJsoncTolerant, parseTree, type ParseError } from "jsonc-parser";
import { parse as parseToml, TomlError } from "smol-toml";
import { lineColumnAt, parseErrorWords } from "../../config/json-position.ts";
import type { ConfigProblem } from "../types.ts";

export { lineColumnAt } from "../../config/json-position.ts";

/** Which syntax a config file is written in. */
export type ConfigSyntax = "json" | "toml" | "yaml";

export type ParseOutcome = { ok: true; value: unknown } | { ok: false; problem: ConfigProblem };

const tooDeep = (err: unknown) => err instanceof RangeError;
const TOO_DEEP = "nested too deeply to be a config file";

function jsonSyntaxProblem(file: string, text: string, cause: unknown): ConfigProblem {
  if (tooDeep(cause)) return { file, reason: TOO_DEEP };
  const errors: ParseError[] = [];
  try {
    parseJsoncTolerant(text, errors, { allowTrailingComma: true, allowEmptyContent: false });
  } catch (err) {
    if (tooDeep(err)) return { file, reason: TOO_DEEP };
    throw err;
  }
  const first = errors[0];
  if (!first) return { file, reason: `not valid JSON: ${(cause as Error).message ?? String(cause)}` };
  return { file, ...lineColumnAt(text, first.offset), reason: `not valid JSON: ${parseErrorWords(first.error)}` };
}

/** Parses one config file's text; never throws. */
export function parseConfigText(file: string, text: string, syntax: ConfigSyntax): ParseOutcome {
  if (syntax === "toml") {
    try {
      return { ok: true, value: parseToml(text) };
    } catch (err) {
      if (err instanceof TomlError) {
        const firstLine = err.message.split("\n")[0]!.replace(/^Invalid TOML document:\s*/, "");
        return {
          ok: false,
          problem: { file, line: err.line, column: err.column, reason: `not valid TOML: ${firstLine}` },
        };
      }
      return { ok: false, problem: { file, reason: `not valid TOML: ${(err as Error).message}` } };
    }
  }
  if (syntax === "yaml") {
    try {
      return { ok: true, value: Bun.YAML.parse(text) ?? {} };
    } catch (err) {
      return {
        ok: false,
        problem: { file, reason: `not valid YAML: ${(err as Error).message.replace(/^YAML Parse error:\s*/, "")}` },
      };
    }
  }
  if (text.trim() === "")
    return { ok: false, problem: { file, line: 1, column: 1, reason: "the file is empty (expected a JSON object)" } };
  try {
    return { ok: true, value: Bun.JSONC.parse(text) };
  } catch (err) {
    return { ok: false, problem: jsonSyntaxProblem(file, text, err) };
  }
}

/**
 * Where a value sits in a JSON file (path of keys), for shape errors; undefined when unknown
 * (TOML files, or a path that does not exist).
 */
export function locateJsonPath(
  text: string,
  syntax: ConfigSyntax,
  path: Array<string | number>,
): { line: number; column: number } | undefined {
  if (syntax !== "json") return undefined;
  let tree: ReturnType<typeof parseTree>;
  try {
    tree = parseTree(text, [], { allowTrailingComma: true });
  } catch (err) {
    if (tooDeep(err)) return undefined;
    throw err;
  }
  if (!tree) return undefined;
  const node = findNodeAtLocation(tree, path);
  if (!node) return undefined;
  // For an object member, point at its key rather than its value.
  const at = node.parent?.type === "property" ? node.parent.offset : node.offset;
  return lineColumnAt(text, at);
}
