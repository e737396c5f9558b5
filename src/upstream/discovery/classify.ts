/**
 * Decides a discovered server's status: denied by policy (MCP_BRIDGE_ALLOW_SERVERS /
 * MCP_BRIDGE_DENY_SERVERS, names or globs), disabled in its config, an entry that would start
 * bridge itself, a command that cannot be found, or ok.
 */
import { posix, win32 } from "node:path";
import type { ServerEntry, ServerStatus } from "../types.ts";

/** True when `name` matches one of the patterns (exact names or globs such as `github*`). */
export function matchesAny(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => pattern === name || new Bun.Glob(pattern).match(name));
}

/** Why policy hides a server, or undefined when it is allowed. Deny wins over allow. */
export function policyReason(name: string, allow: readonly string[], deny: readonly string[]): string | undefined {
  if (matchesAny(name, deny)) return "denied by MCP_BRIDGE_DENY_SERVERS";
  if (allow.length && !matchesAny(name, allow)) return "not in MCP_BRIDGE_ALLOW_SERVERS";
  return undefined;
}

const RUNTIMES = new Set(["bun", "bun.exe", "node", "node.exe", "deno", "deno.exe"]);

/**
 * True when a stdio entry would start bridge's own MCP server: `bridge serve` (any path), or
 * this very executable with `serve` (unless the executable is a generic runtime such as bun,
 * which is what it is when bridge runs from source).
 */
export function isSelfServer(entry: Pick<ServerEntry, "command" | "args" | "resolvedCommand">, execPath: string | undefined, windows: boolean): boolean {
  if (!entry.command || entry.args?.[0] !== "serve") return false;
  const p = windows ? win32 : posix;
  const base = p.basename(entry.command).toLowerCase();
  if (base === "bridge" || base === "bridge.exe") return true;
  if (!execPath || RUNTIMES.has(p.basename(execPath).toLowerCase())) return false;
  const same = (a: string, b: string) => (windows ? a.toLowerCase() === b.toLowerCase() : a === b);
  return same(entry.resolvedCommand ?? entry.command, execPath);
}

function envValue(env: Record<string, string | undefined>, name: string, windows: boolean): string | undefined {
  if (!windows) return env[name];
  const key = Object.keys(env).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : env[key];
}

/**
 * Finds the executable a stdio command would run: a path (absolute, or relative to the server's
 * cwd) must exist and be executable; a bare name is looked up on PATH (with PATHEXT on Windows).
 */
export async function resolveCommand(
  command: string,
  opts: { cwd: string; env: Record<string, string | undefined>; windows: boolean; isExecutable: (path: string) => Promise<boolean> },
): Promise<string | undefined> {
  const p = opts.windows ? win32 : posix;
  const exts = opts.windows
    ? ["", ...(envValue(opts.env, "PATHEXT", true) ?? ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean)]
    : [""];
  const tryPath = async (base: string) => {
    for (const ext of exts) if (await opts.isExecutable(base + ext)) return base + ext;
    return undefined;
  };
  const hasSeparator = command.includes("/") || (opts.windows && command.includes("\\"));
  if (hasSeparator || p.isAbsolute(command)) return tryPath(p.resolve(opts.cwd, command));
  const pathVar = envValue(opts.env, "PATH", opts.windows) ?? "";
  for (const dir of pathVar.split(opts.windows ? ";" : ":")) {
    if (!dir || !p.isAbsolute(dir)) continue; // relative PATH entries depend on where the server starts
    const found = await tryPath(p.join(dir, command));
    if (found) return found;
  }
  return undefined;
}

/** The status of a normalized entry, with the reason shown when it is not ok. */
export async function classify(
  entry: ServerEntry & { disabled: boolean },
  opts: {
    allow: readonly string[]; deny: readonly string[]; allowSelf: boolean; execPath?: string;
    cwd: string; env: Record<string, string | undefined>; windows: boolean; isExecutable: (path: string) => Promise<boolean>;
  },
): Promise<{ status: ServerStatus; reason?: string; resolvedCommand?: string }> {
  const denied = policyReason(entry.name, opts.allow, opts.deny);
  if (denied) return { status: "denied", reason: denied };
  if (entry.disabled) return { status: "disabled", reason: "turned off in its config file" };
  if (entry.transport !== "stdio") return { status: "ok" };
  const cwd = entry.cwd ? (opts.windows ? win32 : posix).resolve(opts.cwd, entry.cwd) : opts.cwd;
  const resolvedCommand = await resolveCommand(entry.command!, { cwd, env: { ...opts.env, ...pathOverride(entry.env) }, windows: opts.windows, isExecutable: opts.isExecutable });
  if (!opts.allowSelf && isSelfServer({ ...entry, resolvedCommand }, opts.execPath, opts.windows)) {
    return { status: "self", reason: "would start bridge itself (set MCP_BRIDGE_ALLOW_SELF_SERVER=1 to allow)", resolvedCommand };
  }
  if (!resolvedCommand) {
    const where = entry.command!.includes("/") || entry.command!.includes("\\") ? "no executable file at that path" : "not found on PATH";
    return { status: "command-not-found", reason: `command "${entry.command}": ${where}` };
  }
  return { status: "ok", resolvedCommand };
}

/** A server's own PATH (from its env) is what its command is looked up in. */
function pathOverride(env: Record<string, string> | undefined): Record<string, string> {
  if (!env) return {};
  const key = Object.keys(env).find((k) => k.toUpperCase() === "PATH");
  return key ? { PATH: env[key]! } : {};
}
