/**
 * Builds the sandbox extensions this area provides (MCP proxies + memory) for any host process:
 * `serve` (src/mcp/services.ts) and `bridge run`. Starts nothing until Python uses them.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import type { Config } from "../config/index.ts";
import { memoryExtension } from "../memory/extension.ts";
import { MemoryStore } from "../memory/store.ts";
import type { SandboxExtension } from "../sandbox/extension.ts";
import { discoverServers } from "./discovery/index.ts";
import { upstreamExtension } from "./extension.ts";
import type { OuterClient } from "./origin.ts";
import { SEARCH_BUDGET_MS, UpstreamRegistry } from "./registry.ts";

type Log = { debug(msg: string): void; warn(msg: string): void };

/**
 * Discovery as the registry needs it: every server with its status (the registry uses only `ok`
 * ones and explains the others); each config problem is logged once.
 */
export function discoverEntries(config: Config, log: Log): () => ReturnType<UpstreamRegistry["entries"]> {
  const reported = new Set<string>();
  return async () => {
    const env = process.env;
    const result = await discoverServers({
      config,
      home: env.HOME || env.USERPROFILE || homedir(),
      cwd: process.cwd(),
      platform: process.platform,
      env,
      execPath: process.execPath,
    });
    for (const p of result.problems) {
      const line = `${p.file}${p.line ? `:${p.line}` : ""}: ${p.reason}`;
      if (!reported.has(line)) log.warn(`MCP server config skipped: ${line}`);
      reported.add(line);
    }
    return result.servers;
  };
}

/**
 * The MCP-proxy and memory extensions, plus `close` (ends upstream server processes). `outer` is
 * the MCP client that started serve (its capabilities and roots reach upstream servers).
 */
export function createSandboxExtensions(
  config: Config,
  log: Log,
  outer?: OuterClient,
): { extensions: SandboxExtension[]; registry: UpstreamRegistry; close: () => Promise<void> } {
  const registry = new UpstreamRegistry({
    discover: discoverEntries(config, log),
    stateDir: config.stateDir,
    timeoutMs: config.upstreamTimeout,
    log: { debug: (m) => log.debug(m), warn: (m) => log.warn(m) },
    // Well under the run timeout, so a search always answers within the call.
    searchBudgetMs: Math.min(SEARCH_BUDGET_MS, Math.round(config.timeout / 3)),
    outer,
  });
  const memory = new MemoryStore({ dir: join(config.stateDir, "memory"), maxTotalBytes: config.memoryStoreQuota });
  return {
    extensions: [upstreamExtension(registry), memoryExtension(memory)],
    registry,
    close: () => registry.closeAll(),
  };
}
