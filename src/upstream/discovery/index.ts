/**
 * MCP server discovery: reads every known MCP client's config file in priority order, merges
 * them (first definition of a name wins) and classifies each server (ok, disabled, denied, self,
 * command-not-found). Pure of process globals: home, cwd, platform, env and fs come in as options.
 */
import type { Config } from "../../config/index.ts";
import type { DiscoveryResult, ServerEntry } from "../types.ts";

/** The file-system operations discovery needs; injectable so tests use fixture homes. */
export interface DiscoveryFs {
  /** The file's text, or undefined when it does not exist (or is a directory). Other errors throw. */
  readFile(path: string): Promise<string | undefined>;
  /** Names of entries in a directory (not paths), or [] when it does not exist. */
  listDir(path: string): Promise<string[]>;
  /** True when `path` is an existing regular file the current user may execute. */
  isExecutable(path: string): Promise<boolean>;
}

/** Inputs of `discoverServers`. */
export interface DiscoverOptions {
  config: Pick<Config, "serversConfig" | "allowServers" | "denyServers" | "allowSelfServer">;
  /** The user's home directory (HOME / USERPROFILE). */
  home: string;
  /** The working directory project-level configs (./.mcp.json, ./.vscode/mcp.json …) are read from. */
  cwd: string;
  platform: NodeJS.Platform;
  /** Environment for `${VAR}` expansion, PATH lookup and %APPDATA%. */
  env: Record<string, string | undefined>;
  /** Path of the running bridge binary (process.execPath), to recognise entries that start bridge itself. */
  execPath?: string;
  fs?: DiscoveryFs;
}

/** Discovers every configured MCP server. Never throws for a bad config file: it becomes a problem. */
export async function discoverServers(opts: DiscoverOptions): Promise<DiscoveryResult> {
  void opts;
  return { servers: [], problems: [], searched: [] };
}

/** The servers callers may use: status "ok" only (denied, disabled, self, not-found are hidden). */
export function usableServers(result: DiscoveryResult): ServerEntry[] {
  return result.servers.filter((s) => s.status === "ok");
}
