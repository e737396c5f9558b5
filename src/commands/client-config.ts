/**
 * The MCP client configuration that starts this binary's `serve`, as printed by `serve` on a
 * terminal and by `worker --init`. Always the absolute binary path: GUI clients start servers with
 * a minimal PATH, and Linux's iproute2 ships an unrelated `/usr/sbin/bridge`. Settings go in `env`
 * as plain values (JSON configs run no shell, so `$(cat …)` would be passed literally).
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { selfCommand } from "../worker/service.ts";

/** `{ "mcpServers": { "bridge": { command, args, env? } } }` — the shape Claude Desktop and Cursor read. */
export function mcpServersEntry(
  env: Record<string, string> = {},
  argv = selfCommand(),
): { mcpServers: { bridge: Record<string, unknown> } } {
  const [command, ...pre] = argv;
  const entry: Record<string, unknown> = { command, args: [...pre, "serve"] };
  if (Object.keys(env).length) entry.env = env;
  return { mcpServers: { bridge: entry } };
}

/** The same entry on one line, for a one-line message. */
export function oneLineSnippet(argv = selfCommand()): string {
  return JSON.stringify(mcpServersEntry({}, argv));
}

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** `claude mcp add` for Claude Code, user scope (every project), with the same env. */
export function claudeCodeCommand(env: Record<string, string> = {}, argv = selfCommand()): string {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ["-e", shellQuote(`${k}=${v}`)]);
  return ["claude", "mcp", "add", "bridge", "--scope", "user", ...envArgs, "--", ...argv.map(shellQuote), "serve"].join(
    " ",
  );
}

/** Where each client keeps the file the JSON entry goes in, on this platform. */
export function clientConfigFiles(
  platform: NodeJS.Platform = process.platform,
  home = homedir(),
): { claudeDesktop: string; cursor: string } {
  const claudeDesktop =
    platform === "darwin"
      ? join(home, "Library", "Application Support", "Claude", "claude_desktop_config.json")
      : platform === "win32"
        ? join(process.env.APPDATA ?? join(home, "AppData", "Roaming"), "Claude", "claude_desktop_config.json")
        : join(home, ".config", "Claude", "claude_desktop_config.json");
  return { claudeDesktop, cursor: join(home, ".cursor", "mcp.json") };
}

/** The full multi-client block printed by `worker --init`. */
export function clientSetupText(env: Record<string, string>, argv = selfCommand()): string {
  const files = clientConfigFiles();
  const json = JSON.stringify(mcpServersEntry(env, argv), null, 2).replace(/^/gm, "  ");
  return [
    `Claude Desktop (${files.claudeDesktop}) and Cursor (${files.cursor}) — merge into "mcpServers":`,
    json,
    "Claude Code:",
    `  ${claudeCodeCommand(env, argv)}`,
  ].join("\n");
}
