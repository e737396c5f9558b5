/**
 * The MCP client that started `serve` (the "outer" client), as upstream connections see it: which
 * client capabilities bridge may declare towards upstream servers, and the roots it answers
 * `roots/list` with. `serve` provides it (src/mcp/outer-client.ts); `bridge run` has none, and then
 * upstream servers see a client without roots, sampling or elicitation.
 */
import type { ClientCapabilities, Root } from "@modelcontextprotocol/sdk/types.js";

export interface OuterClient {
  /** Capabilities the outer client declared at initialize; undefined before it did. */
  capabilities(): ClientCapabilities | undefined;
  /** The outer client's roots (`roots/list`; only asked when it declared `roots`). Errors when its answer fails. */
  listRoots(signal?: AbortSignal): Promise<Root[]>;
  /** Calls `fn` when the outer client sends notifications/roots/list_changed. */
  onRootsChanged(fn: () => void): void;
}

/**
 * The client capabilities an upstream connection declares: exactly those of the outer client that
 * bridge can pass on — `roots` (answered with the outer client's roots), `sampling` and
 * `elicitation` (forwarded to it). Copied as declared, so sub-capabilities (elicitation `url`,
 * sampling `tools`) are only claimed when the outer client can honour them. Nothing is invented:
 * roots bridge made up (say, its working directory) would replace a server's own directory
 * arguments (server-filesystem swaps its arguments for the client's roots), unlike the user's client.
 */
export function upstreamCapabilities(outer: ClientCapabilities | undefined): ClientCapabilities {
  const caps: ClientCapabilities = {};
  if (outer?.roots) caps.roots = { listChanged: true };
  if (outer?.sampling) caps.sampling = outer.sampling;
  if (outer?.elicitation) caps.elicitation = outer.elicitation;
  return caps;
}
