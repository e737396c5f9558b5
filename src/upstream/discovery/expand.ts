/**
 * `${VAR}` expansion in server entries, the way MCP clients do it: `${VAR}`, `${env:VAR}`,
 * `${VAR:-default}`, VS Code's `${workspaceFolder}` / `${userHome}`, and a leading `~/`.
 * An unset variable becomes "" and a note, never an error: the server may not need it.
 */

/** What expansion reads from; `notes` collects one line per unset or unsupported variable. */
export interface ExpandContext {
  env: Record<string, string | undefined>;
  home: string;
  cwd: string;
  /** Windows environment names are case-insensitive. */
  caseInsensitiveEnv: boolean;
  notes: string[];
}

const PATTERN = /\$\{([^{}]*)\}/g;

function lookup(ctx: ExpandContext, name: string): string | undefined {
  if (Object.hasOwn(ctx.env, name)) return ctx.env[name];
  if (!ctx.caseInsensitiveEnv) return undefined;
  const lower = name.toLowerCase();
  for (const key of Object.keys(ctx.env)) if (key.toLowerCase() === lower) return ctx.env[key];
  return undefined;
}

function note(ctx: ExpandContext, line: string): void {
  if (!ctx.notes.includes(line)) ctx.notes.push(line);
}

function resolveVariable(ctx: ExpandContext, body: string): string {
  if (body === "workspaceFolder" || body === "workspaceRoot") return ctx.cwd;
  if (body === "userHome") return ctx.home;
  if (body === "pathSeparator" || body === "/") return "/";
  if (body.startsWith("input:") || body.startsWith("command:") || body.startsWith("config:")) {
    note(ctx, `\${${body}} cannot be resolved outside the editor; it was left empty`);
    return "";
  }
  let name = body.startsWith("env:") ? body.slice(4) : body;
  let fallback: string | undefined;
  const dflt = name.indexOf(":-");
  if (dflt >= 0) { fallback = name.slice(dflt + 2); name = name.slice(0, dflt); }
  const value = lookup(ctx, name);
  if (value !== undefined && value !== "") return value;
  if (fallback !== undefined) return fallback;
  if (value === undefined) note(ctx, `environment variable ${name} is not set; \${${body}} was left empty`);
  return "";
}

/** Expands variables in one string (single pass: expanded values are not expanded again). */
export function expandString(input: string, ctx: ExpandContext): string {
  return input.replace(PATTERN, (_, body: string) => resolveVariable(ctx, body.trim()));
}

/** Expands variables and a leading `~` (for commands and directories). */
export function expandPath(input: string, ctx: ExpandContext): string {
  const expanded = expandString(input, ctx);
  if (expanded === "~") return ctx.home;
  if (expanded.startsWith("~/") || expanded.startsWith("~\\")) return ctx.home + expanded.slice(1);
  return expanded;
}

/** Expands every value of a string map (keys are left as written). */
export function expandRecord(record: Record<string, string> | undefined, ctx: ExpandContext): Record<string, string> | undefined {
  if (!record) return undefined;
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, expandString(value, ctx)]));
}
