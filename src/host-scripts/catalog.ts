/**
 * The script whitelist: regular executable files directly in the scripts directory (symlinks only
 * when they resolve inside it), with their manifests. `resolveScript` is the check every run goes
 * through; `listScripts` is what run_script without a name shows (via the catalog).
 */
import { promises as fs } from "node:fs";
import { isAbsolute, join, resolve, sep } from "node:path";
import { z } from "zod";
import { parseDuration } from "../config/index.ts";
import { BridgeError } from "../errors.ts";
import { FileRefusedError, readRegularFile } from "../fs/read.ts";
import { ManifestFileSchema, ScriptManifestSchema, describeIssues, type ScriptManifest } from "./manifest.ts";
import { MANIFEST_FILE, assertScriptName, scriptNameProblem } from "./names.ts";

/** A whitelisted script as callers see it. */
export interface ScriptInfo {
  name: string;
  description?: string;
  /** JSON Schema of the argv array, when the manifest gives one. */
  argsSchema?: Record<string, unknown>;
  timeoutMs?: number;
  readOnly: boolean;
  destructive: boolean;
}

/** A script ready to run: its real path and how to run it. */
export interface ResolvedScript extends ScriptInfo {
  path: string;
  cwd: string;
  env: string[];
}

const rejected = (message: string, hint = "Call run_script without a name for the names you may run.") =>
  new BridgeError("SCRIPT_REJECTED", message, { hint });

async function readJsonNoFollow(path: string): Promise<unknown | undefined> {
  // Non-blocking, regular files only, capped (src/fs/read.ts): a FIFO manifest cannot stall the worker.
  let text: string | undefined;
  try {
    text = readRegularFile(path, { maxBytes: 1024 * 1024, code: "SCRIPT_REJECTED", label: `Manifest ${path}` });
  } catch (err) {
    if (err instanceof FileRefusedError)
      throw rejected(
        err.message,
        err.reason === "symlink" ? "Replace the link with a file." : "Replace it with a regular JSON file.",
      );
    throw err;
  }
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw rejected(`Manifest ${path} is not valid JSON: ${(err as Error).message}`, "Fix the manifest file.");
  }
}

/** Real path of the scripts directory; refuses one that others may write to. */
export async function scriptsDirReal(dir: string): Promise<string> {
  let real: string;
  try {
    real = await fs.realpath(dir);
  } catch {
    throw rejected(
      `The scripts directory ${dir} does not exist.`,
      `Create it (mkdir -m 700 ${dir}) and put executables in it.`,
    );
  }
  const st = await fs.stat(real);
  if (!st.isDirectory())
    throw rejected(`The scripts path ${dir} is not a directory.`, "Point --scripts at a directory.");
  if (st.mode & 0o022)
    throw rejected(
      `The scripts directory ${real} is writable by group or others, so anyone could add scripts.`,
      `Run: chmod go-w ${real}`,
    );
  if (process.getuid && st.uid !== process.getuid())
    throw rejected(
      `The scripts directory ${real} is owned by uid ${st.uid}, not by this user.`,
      "Use a directory you own.",
    );
  return real;
}

async function manifestFor(realDir: string, name: string): Promise<ScriptManifest> {
  const shared = await readJsonNoFollow(join(realDir, MANIFEST_FILE));
  let entry: ScriptManifest = {};
  if (shared !== undefined) {
    const parsed = ManifestFileSchema.safeParse(shared);
    if (!parsed.success)
      throw rejected(
        `Manifest ${join(realDir, MANIFEST_FILE)} is invalid: ${describeIssues(parsed.error)}`,
        "Fix the manifest file.",
      );
    entry = parsed.data.scripts[name] ?? {};
  }
  const own = await readJsonNoFollow(join(realDir, `${name}.json`));
  if (own !== undefined) {
    const parsed = ScriptManifestSchema.safeParse(own);
    if (!parsed.success)
      throw rejected(
        `Manifest ${join(realDir, `${name}.json`)} is invalid: ${describeIssues(parsed.error)}`,
        "Fix the manifest file.",
      );
    entry = parsed.data;
  }
  if (entry.args) {
    try {
      z.fromJSONSchema(entry.args as never);
    } catch (err) {
      throw rejected(
        `Manifest for ${name}: "args" is not a usable JSON Schema: ${(err as Error).message}`,
        "Fix the manifest file.",
      );
    }
  }
  return entry;
}

/** Validates the name and the file, loads the manifest. Throws SCRIPT_REJECTED with the reason. */
export async function resolveScript(dir: string, name: unknown): Promise<ResolvedScript> {
  assertScriptName(name);
  const realDir = await scriptsDirReal(dir);
  const candidate = join(realDir, name);
  let link: import("node:fs").Stats;
  try {
    link = await fs.lstat(candidate);
  } catch {
    throw rejected(`"${name}" is not a whitelisted script: there is no ${candidate}.`);
  }
  let path = candidate;
  if (link.isSymbolicLink()) {
    const target = await fs.realpath(candidate).catch(() => undefined);
    if (!target || !target.startsWith(realDir + sep)) {
      throw rejected(
        `"${name}" is a symlink that points outside the scripts directory; refused.`,
        "Copy the script into the scripts directory instead of linking to it.",
      );
    }
    path = target;
  }
  const st = await fs.stat(path);
  if (!st.isFile()) throw rejected(`"${name}" is not a regular file.`);
  if ((st.mode & 0o111) === 0) throw rejected(`"${name}" is not executable.`, `Run: chmod +x ${path}`);
  const m = await manifestFor(realDir, name);
  const cwd = m.cwd ? (isAbsolute(m.cwd) ? m.cwd : resolve(realDir, m.cwd)) : realDir;
  return {
    name,
    path,
    cwd,
    env: m.env ?? [],
    description: m.description,
    argsSchema: m.args,
    timeoutMs: m.timeout === undefined ? undefined : parseDuration(m.timeout),
    readOnly: m.readOnly ?? false,
    destructive: m.destructive ?? !(m.readOnly ?? false),
  };
}

/** Every runnable script in the directory, plus one line per file that was skipped and why. */
export async function listScripts(dir: string): Promise<{ scripts: ScriptInfo[]; problems: string[] }> {
  const realDir = await scriptsDirReal(dir);
  const scripts: ScriptInfo[] = [];
  const problems: string[] = [];
  for (const entry of (await fs.readdir(realDir)).sort()) {
    if (entry.endsWith(".json") || entry.startsWith(".")) continue;
    if (scriptNameProblem(entry)) {
      problems.push(`${entry}: skipped (${scriptNameProblem(entry)})`);
      continue;
    }
    try {
      const { path: _p, cwd: _c, env: _e, ...info } = await resolveScript(realDir, entry);
      scripts.push(info);
    } catch (err) {
      problems.push(`${entry}: ${(err as Error).message}`);
    }
  }
  return { scripts, problems };
}

/** Checks argv against the script's args schema (and basic limits). Throws SCRIPT_REJECTED. */
export function validateArgs(script: ScriptInfo, args: unknown): string[] {
  if (!Array.isArray(args) || !args.every((a) => typeof a === "string"))
    throw rejected("args must be an array of strings.");
  if (args.length > 1000) throw rejected(`Too many arguments (${args.length}; at most 1000).`);
  if (args.some((a) => a.includes("\0"))) throw rejected("An argument contains a NUL byte, which argv cannot carry.");
  if (script.argsSchema) {
    const parsed = z.fromJSONSchema(script.argsSchema as never).safeParse(args);
    if (!parsed.success) {
      throw rejected(
        `Arguments for "${script.name}" do not match its schema: ${describeIssues(parsed.error)}`,
        "Call run_script without a name for the script's argument schema.",
      );
    }
  }
  return args;
}
