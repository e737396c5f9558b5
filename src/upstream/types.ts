/** The shape of an MCP server found in a client's config file, shared by discovery and the proxies. */

/**
 * Why a discovered server can or cannot be used. Only `ok` servers are ever started.
 * - `denied`: bridge's own policy (MCP_BRIDGE_ALLOW_SERVERS / MCP_BRIDGE_DENY_SERVERS)
 * - `disabled`: turned off or rejected in the client (e.g. `disabled: true`, Claude Code's `disabledMcpServers`)
 * - `pending-approval`: a project-level definition the client (or bridge) has not approved
 * - `excluded`: the client's own policy leaves it out (Gemini `mcp.excluded`, Claude Code managed policy, …)
 * - `not-usable`: a valid entry bridge cannot run (WebSocket transport, needs input in VS Code, an extension's server)
 * - `self`, `cwd-not-found`, `command-not-found`: checks bridge makes before it would start the server
 */
export type ServerStatus =
  | "ok"
  | "denied"
  | "disabled"
  | "pending-approval"
  | "excluded"
  | "not-usable"
  | "self"
  | "cwd-not-found"
  | "command-not-found";

/** Where a definition lives, in the client's own words: the user's, a project's (a file in the working directory or above it), Claude Code's per-project "local" scope, an administrator's, or named by MCP_SERVERS_CONFIG. */
export type ServerScope = "user" | "project" | "local" | "managed" | "system" | "explicit";

/** Another definition of the same name that was not used. */
export interface OtherDefinition {
  source: string;
  format: string;
  scope: ServerScope;
  /** Why it was not used: a later, lower-priority definition (`shadowed`), or one that is not approved (`pending-approval`, `disabled`). */
  status: "shadowed" | ServerStatus;
  reason?: string;
}

export interface ServerEntry {
  /** The name as written in the config. */
  name: string;
  /** Absolute path of the config file it came from. */
  source: string;
  /** Which client's format it was read as, e.g. "claude-code", "vscode", "codex". */
  format: string;
  scope: ServerScope;
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
  /** For `pending-approval`: what the user runs or sets to approve it. */
  approve?: string;
  /** For stdio servers found on PATH (or an existing path): the absolute executable path. */
  resolvedCommand?: string;
  /** Things worth knowing that do not stop the server, e.g. a `${VAR}` that was not set. */
  notes?: string[];
  /** Later config files that also define this name (ignored: the first usable definition wins). */
  shadowed?: string[];
  /** Definitions of the same name that rank higher but are not approved (they neither replace nor hide this one). */
  conflicts?: OtherDefinition[];
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
