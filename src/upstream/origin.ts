/**
 * The MCP client that started `serve` (the "outer" client), as upstream connections see it: which
 * client capabilities bridge may declare towards upstream servers, and the roots it answers
 * `roots/list` with. `serve` provides it (src/mcp/outer-client.ts); `bridge run` has none, and then
 * upstream servers get `serve`'s working directory as their one root and no sampling or elicitation.
 */
import { pathToFileURL } from "node:url";
import type { ClientCapabilities, Root } from "@modelcontextprotocol/sdk/types.js";

export interface OuterClient {
  /** Capabilities the outer client declared at initialize; undefined before it did. */
  capabilities(): ClientCapabilities | undefined;
  /** The outer client's roots (`roots/list`) when it declared `roots`; otherwise `fallbackRoots`. Errors when its answer fails. */
  listRoots(signal?: AbortSignal): Promise<Root[]>;
  /** Calls `fn` when the outer client sends notifications/roots/list_changed. */
  onRootsChanged(fn: () => void): void;
}

/** The roots given to upstream servers when no outer client offers its own: the working directory. */
export function workingDirectoryRoots(cwd: string = process.cwd()): Root[] {
  return [{ uri: pathToFileURL(cwd).href, name: "bridge working directory" }];
}

/**
 * The client capabilities an upstream connection declares: `roots` always (bridge answers them),
 * `sampling` and `elicitation` only when the outer client declared them (bridge forwards those
 * requests to it). Copied as declared, so sub-capabilities (elicitation `url`, sampling `tools`)
 * are only claimed when the outer client can honour them.
 */
export function upstreamCapabilities(outer: ClientCapabilities | undefined): ClientCapabilities {
  const caps: ClientCapabilities = { roots: { listChanged: true } };
  if (outer?.sampling) caps.sampling = outer.sampling;
  if (outer?.elicitation) caps.elicitation = outer.elicitation;
  return caps;
}
