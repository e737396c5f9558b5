/**
 * The MCP client that started `serve`, as the upstream registry sees it (src/upstream/origin.ts):
 * the capabilities it declared and its roots (asked with `roots/list` and cached until it sends
 * `notifications/roots/list_changed`). The registry is built before the MCP server exists, so the
 * link is attached once the server is made.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  RootsListChangedNotificationSchema,
  type ClientCapabilities,
  type Root,
} from "@modelcontextprotocol/sdk/types.js";
import { BridgeError, describeError } from "../errors.ts";
import type { OuterClient } from "../upstream/origin.ts";

/** How long the client may take to answer roots/list. */
const ROOTS_TIMEOUT_MS = 10_000;

export class OuterClientLink implements OuterClient {
  private server?: Server;
  private roots?: Promise<Root[]>;
  private readonly listeners: Array<() => void> = [];

  /** Connects the link to the MCP server whose client it describes. */
  attach(server: Server): void {
    this.server = server;
    server.setNotificationHandler(RootsListChangedNotificationSchema, () => {
      this.roots = undefined;
      for (const fn of this.listeners) fn();
    });
  }

  capabilities(): ClientCapabilities | undefined {
    return this.server?.getClientCapabilities();
  }

  listRoots(signal?: AbortSignal): Promise<Root[]> {
    const server = this.server;
    if (!server?.getClientCapabilities()?.roots)
      return Promise.reject(new BridgeError("UPSTREAM_FAILED", "the MCP client declared no roots"));
    this.roots ??= server.listRoots(undefined, { timeout: ROOTS_TIMEOUT_MS, signal }).then(
      (r) => r.roots,
      (err) => {
        this.roots = undefined;
        throw new BridgeError("UPSTREAM_FAILED", `the MCP client did not answer roots/list: ${describeError(err)}`);
      },
    );
    return this.roots;
  }

  onRootsChanged(fn: () => void): void {
    this.listeners.push(fn);
  }
}
