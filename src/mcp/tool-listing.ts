/**
 * bridge's own tools/list, for `bridge discover --tools`: builds the server in memory with
 * `inspectOnly` (services start nothing) and no warm pool, lists its tools over an in-memory
 * transport, then runs the cleanups the services registered.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { ConsolaInstance } from "consola";
import type { Config } from "../config/index.ts";
import { VERSION } from "../version.ts";
import { createServer } from "./server.ts";

/** The tools exactly as a client receives them from `serve` with this config (its tool groups). */
export async function bridgeToolListing(config: Config, log: ConsolaInstance): Promise<Tool[]> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const server = createServer({
    config: { ...config, poolSize: 0 },
    log,
    onShutdown: (fn) => void cleanups.push(fn),
    inspectOnly: true,
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "bridge-discover", version: VERSION });
  try {
    await server.connect(serverSide);
    await client.connect(clientSide);
    // A server with no tools registered does not answer tools/list at all.
    if (!client.getServerCapabilities()?.tools) return [];
    return (await client.listTools()).tools;
  } finally {
    await client.close().catch(() => {});
    await server.close().catch(() => {});
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}
