/** The shape of an MCP server found in a client's config file, shared by discovery and the proxies. */

/** Why a discovered server can or cannot be used. */
export type ServerStatus = "ok" | "disabled" | "denied" | "self" | "command-not-found";

export interface ServerEntry {
  /** The name as written in the config (first definition of a name wins). */
  name: string;
  /** Absolute path of the config file it came from. */
  source: string;
  /** Which client's format it was read as, e.g. "claude-desktop", "vscode", "codex". */
  format: string;
  transport: "stdio" | "http" | "sse";
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  url?: string;
  headers?: Record<string, string>;
  status: ServerStatus;
  /** Human reason when status is not "ok". */
  reason?: string;
  /** For stdio servers found on PATH (or an existing path): the absolute executable path. */
  resolvedCommand?: string;
  /** Things worth knowing that do not stop the server, e.g. a `${VAR}` that was not set. */
  notes?: string[];
  /** Later config files that also define this name (ignored: the first definition wins). */
  shadowed?: string[];
}

/** A config file that could not be read; it is skipped and the rest still load. */
export interface ConfigProblem {
  file: string;
  line?: number;
  column?: number;
  reason: string;
}

export interface DiscoveryResult {
  servers: ServerEntry[];
  problems: ConfigProblem[];
  /** Every file looked at, found or not, in priority order (for `bridge discover --verbose`). */
  searched: Array<{ file: string; found: boolean }>;
}
