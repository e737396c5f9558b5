/**
 * bridge's own checks on the definition that won: its policy (MCP_BRIDGE_ALLOW_SERVERS /
 * MCP_BRIDGE_DENY_SERVERS: names or globs, optionally pinned to a source as `name@client:scope`),
 * an entry that would start bridge itself, a working directory or command that does not exist.
 */
import { posix, win32 } from "node:path";
import type { ServerEntry, ServerScope, ServerStatus } from "../types.ts";

const globMatch = (pattern: string, value: string) => pattern === value || new Bun.Glob(pattern).match(value);

/** The parts of a policy pattern: `name`, `name@client` or `name@client:scope` (each part may be a glob). */
export function parsePattern(pattern: string): { name: string; client?: string; scope?: string } {
  const m = /^(.+)@([A-Za-z0-9*?_-]+)(?::([A-Za-z*?]+))?$/.exec(pattern);
  return m ? { name: m[1]!, client: m[2], scope: m[3] } : { name: pattern };
}

/** True when the server (name, client format, scope) matches one of the patterns. */
export function matchesAny(
  server: { name: string; format?: string; scope?: ServerScope },
  patterns: readonly string[],
): boolean {
  return patterns.some((pattern) => {
    const p = parsePattern(pattern);
    if (!globMatch(p.name, server.name)) return false;
    if (p.client !== undefined && !globMatch(p.client, server.format ?? "")) return false;
    if (p.scope !== undefined && !globMatch(p.scope, server.scope ?? "")) return false;
    return true;
  });
}

/** Why policy hides a server, or undefined when it is allowed. Deny wins over allow. */
export function policyReason(
  server: { name: string; format?: string; scope?: ServerScope },
  allow: readonly string[],
  deny: readonly string[],
): string | undefined {
  if (matchesAny(server, deny)) return "denied by MCP_BRIDGE_DENY_SERVERS";
  if (allow.length && !matchesAny(server, allow))
    return `not in MCP_BRIDGE_ALLOW_SERVERS (this definition: ${server.name}@${server.format}:${server.scope})`;
  return undefined;
}

const RUNTIMES = new Set(["bun", "bun.exe", "node", "node.exe", "deno", "deno.exe"]);

/**
 * True when a stdio entry would start bridge's own MCP server: `bridge serve` (any path), or
 * this very executable with `serve` (unless the executable is a generic runtime such as bun,
 * which is what it is when bridge runs from source).
 */
export function isSelfServer(
  entry: Pick<ServerEntry, "command" | "args" | "resolvedCommand">,
  execPath: string | undefined,
  windows: boolean,
): boolean {
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
  opts: {
    cwd: string;
    env: Record<string, string | undefined>;
    windows: boolean;
    isExecutable: (path: string) => Promise<boolean>;
  },
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

/** bridge's checks for a definition its client would run: self, working directory, command lookup. */
export async function classify(
  entry: ServerEntry,
  opts: {
    allowSelf: boolean;
    execPath?: string;
    cwd: string;
    env: Record<string, string | undefined>;
    windows: boolean;
    isExecutable: (path: string) => Promise<boolean>;
    isDirectory: (path: string) => Promise<boolean>;
  },
): Promise<{ status: ServerStatus; reason?: string; resolvedCommand?: string }> {
  if (entry.transport !== "stdio") return { status: "ok" };
  const cwd = entry.cwd ? (opts.windows ? win32 : posix).resolve(opts.cwd, entry.cwd) : opts.cwd;
  if (entry.cwd && !(await opts.isDirectory(cwd)))
    return { status: "cwd-not-found", reason: `its working directory ${JSON.stringify(entry.cwd)} does not exist` };
  const resolvedCommand = await resolveCommand(entry.command!, {
    cwd,
    env: { ...opts.env, ...pathOverride(entry.env) },
    windows: opts.windows,
    isExecutable: opts.isExecutable,
  });
  if (!opts.allowSelf && isSelfServer({ ...entry, resolvedCommand }, opts.execPath, opts.windows)) {
    return {
      status: "self",
      reason: "would start bridge itself (set MCP_BRIDGE_ALLOW_SELF_SERVER=1 to allow)",
      resolvedCommand,
    };
  }
  if (!resolvedCommand) {
    const where =
      entry.command!.includes("/") || entry.command!.includes("\\")
        ? "no executable file at that path"
        : "not found on PATH";
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
