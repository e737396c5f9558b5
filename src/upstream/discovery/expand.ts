/**
 * Variable interpolation in server entries, in each client's own syntax (from its documentation):
 * Claude Code `${VAR}` / `${VAR:-default}`; VS Code and Cursor `${env:VAR}`, `${workspaceFolder}`,
 * `${workspaceFolderBasename}`, `${userHome}`, `${pathSeparator}` / `${/}` and (VS Code) `${input:id}`;
 * Windsurf `${env:VAR}` / `${file:path}`; Gemini CLI `$VAR` / `${VAR}` (and `%VAR%` on Windows);
 * opencode `{env:VAR}` / `{file:path}`; Continue `${{ secrets.NAME }}`. An unset variable becomes ""
 * and a note, never an error: the server may not need it. Expansion is a single pass.
 */
import { isAbsolute, join, posix, win32 } from "node:path";
import { readRegularFile } from "../../fs/read.ts";

/** Which syntaxes a client understands. */
export interface VarSyntax {
  /** `${VAR}` */
  braces?: boolean;
  /** `${VAR:-default}` (needs `braces`) */
  defaults?: boolean;
  /** Claude Code's rules: an unset `${VAR}` stays as written, and a default applies only to an unset (not an empty) variable. */
  claudeRules?: boolean;
  /** `${env:VAR}` */
  envPrefix?: boolean;
  /** bare `$VAR` (Gemini CLI) */
  dollar?: boolean;
  /** `%VAR%` on Windows (Gemini CLI) */
  percent?: boolean;
  /** VS Code / Cursor predefined variables (`${workspaceFolder}` …) */
  editorVars?: boolean;
  /** `${input:id}` makes the entry need input in the editor (VS Code) */
  inputs?: boolean;
  /** `${file:path}` (Windsurf) */
  fileRefs?: boolean;
  /** opencode's `{env:VAR}` and `{file:path}` */
  opencode?: boolean;
  /** Continue's `${{ secrets.NAME }}` */
  continueSecrets?: boolean;
  /** a leading `~` in commands and directories (bridge's own generic format) */
  tilde?: boolean;
}

/** What expansion reads from; `notes` collects one line per unset or unsupported variable. */
export interface ExpandContext {
  env: Record<string, string | undefined>;
  home: string;
  cwd: string;
  windows: boolean;
  syntax: VarSyntax;
  notes: string[];
  /** Directory of the config file (relative `{file:…}` paths). */
  fileDir?: string;
  /** Whether `{file:…}` references may be read (never for unapproved project files). */
  allowFiles?: boolean;
  /** Continue's secrets (from `~/.continue/.env`). */
  secrets?: Record<string, string>;
  /** Set when a value references something only the client can supply (VS Code `${input:…}`). */
  needsInput?: string[];
}

function lookup(ctx: ExpandContext, name: string): string | undefined {
  if (Object.hasOwn(ctx.env, name)) return ctx.env[name];
  if (!ctx.windows) return undefined;
  const lower = name.toLowerCase();
  for (const key of Object.keys(ctx.env)) if (key.toLowerCase() === lower) return ctx.env[key];
  return undefined;
}

function note(ctx: ExpandContext, line: string): void {
  if (!ctx.notes.includes(line)) ctx.notes.push(line);
}

function envValue(ctx: ExpandContext, name: string, written: string): string {
  const value = lookup(ctx, name);
  if (value === undefined) note(ctx, `environment variable ${name} is not set; ${written} was left empty`);
  return value ?? "";
}

const MAX_FILE_REF = 64 * 1024;

function fileValue(ctx: ExpandContext, path: string, written: string): string {
  if (!ctx.allowFiles) {
    note(ctx, `${written} was not read (the file is not approved)`);
    return "";
  }
  const p = ctx.windows ? win32 : posix;
  const expanded = path.startsWith("~/") ? join(ctx.home, path.slice(2)) : path;
  const abs = isAbsolute(expanded) ? expanded : p.join(ctx.fileDir ?? ctx.cwd, expanded);
  try {
    const text = readRegularFile(abs, { maxBytes: MAX_FILE_REF, followSymlinks: true });
    if (text === undefined) note(ctx, `${written}: file not found; left empty`);
    return (text ?? "").trim();
  } catch (err) {
    note(ctx, `${written}: ${(err as Error).message}; left empty`);
    return "";
  }
}

function editorVar(ctx: ExpandContext, body: string): string | undefined {
  const p = ctx.windows ? win32 : posix;
  switch (body) {
    case "workspaceFolder":
    case "workspaceRoot":
    case "cwd":
      return ctx.cwd;
    case "workspaceFolderBasename":
      return p.basename(ctx.cwd);
    case "userHome":
      return ctx.home;
    case "pathSeparator":
    case "/":
      return p.sep;
    default:
      return undefined;
  }
}

function braced(ctx: ExpandContext, body: string, written: string): string {
  const s = ctx.syntax;
  if (s.editorVars) {
    const v = editorVar(ctx, body);
    if (v !== undefined) return v;
  }
  if (s.inputs && body.startsWith("input:")) {
    (ctx.needsInput ??= []).push(body.slice(6));
    return "";
  }
  if (s.editorVars && (body.startsWith("command:") || body.startsWith("config:") || body.startsWith("input:"))) {
    note(ctx, `${written} can only be resolved inside the editor; it was left empty`);
    return "";
  }
  if (s.envPrefix && body.startsWith("env:")) return envValue(ctx, body.slice(4), written);
  if (s.fileRefs && body.startsWith("file:")) return fileValue(ctx, body.slice(5), written);
  if (s.braces && /^[A-Za-z_][A-Za-z0-9_]*(:-.*)?$/s.test(body)) {
    const dflt = s.defaults ? body.indexOf(":-") : -1;
    const name = dflt >= 0 ? body.slice(0, dflt) : body;
    const value = lookup(ctx, name);
    if (dflt >= 0) {
      if (s.claudeRules) return value !== undefined ? value : body.slice(dflt + 2);
      return value !== undefined && value !== "" ? value : body.slice(dflt + 2);
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return written;
    if (value === undefined && s.claudeRules) {
      note(ctx, `environment variable ${name} is not set; ${written} was kept as written (as Claude Code does)`);
      return written;
    }
    return envValue(ctx, name, written);
  }
  return written;
}

/** Expands variables in one string (single pass: expanded values are not expanded again). */
export function expandString(input: string, ctx: ExpandContext): string {
  const s = ctx.syntax;
  const parts: string[] = [];
  // One combined scan so the output of one syntax is never re-read by another.
  const re =
    /\$\{\{\s*secrets\.([A-Za-z0-9_.-]+)\s*\}\}|\$\{([^{}]*)\}|\{(env|file):([^{}]+)\}|\$([A-Za-z_][A-Za-z0-9_]*)|%([A-Za-z_][A-Za-z0-9_]*)%/g;
  let last = 0;
  for (let m = re.exec(input); m; m = re.exec(input)) {
    const [written, secret, body, ocKind, ocArg, dollar, percent] = m;
    let value: string | undefined;
    if (secret !== undefined && s.continueSecrets) {
      value = ctx.secrets?.[secret] ?? lookup(ctx, secret);
      if (value === undefined) {
        note(ctx, `secret ${secret} is not in ~/.continue/.env or the environment; ${written} was left empty`);
        value = "";
      }
    } else if (body !== undefined && secret === undefined) {
      if (s.braces || s.envPrefix || s.editorVars || s.fileRefs || s.inputs) value = braced(ctx, body.trim(), written);
    } else if (ocKind !== undefined && s.opencode) {
      value = ocKind === "env" ? envValue(ctx, ocArg!.trim(), written) : fileValue(ctx, ocArg!.trim(), written);
    } else if (dollar !== undefined && s.dollar) {
      value = envValue(ctx, dollar, written);
    } else if (percent !== undefined && s.percent && ctx.windows) {
      value = envValue(ctx, percent, written);
    }
    if (value === undefined) continue;
    parts.push(input.slice(last, m.index), value);
    last = m.index + written.length;
  }
  parts.push(input.slice(last));
  return parts.join("");
}

/** Expands variables and (where the client does) a leading `~`, for commands and directories. */
export function expandPath(input: string, ctx: ExpandContext): string {
  const expanded = expandString(input, ctx);
  if (!ctx.syntax.tilde) return expanded;
  if (expanded === "~") return ctx.home;
  if (expanded.startsWith("~/") || expanded.startsWith("~\\")) return ctx.home + expanded.slice(1);
  return expanded;
}

/** Expands every value of a string map (keys are left as written). */
export function expandRecord(
  record: Record<string, string> | undefined,
  ctx: ExpandContext,
): Record<string, string> | undefined {
  if (!record) return undefined;
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, expandString(value, ctx)]));
}
