/**
 * Not a tool of its own: plugs the MCP proxies and the memory helpers into run_python (as sandbox
 * extensions) and registers `resource://bridge/capabilities`, which documents them. Must come
 * before run_python in TOOL_MODULES. Upstream clients are closed on shutdown.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { memoryExtension } from "../../memory/extension.ts";
import { MemoryStore } from "../../memory/store.ts";
import capabilitiesText from "../../upstream/capabilities.md" with { type: "text" };
import { discoverServers, usableServers } from "../../upstream/discovery/index.ts";
import { upstreamExtension } from "../../upstream/extension.ts";
import { UpstreamRegistry } from "../../upstream/registry.ts";
import type { ServerContext, ToolModule } from "../context.ts";

export const CAPABILITIES_URI = "resource://bridge/capabilities";

/** Discovery as the registry needs it: usable servers only; config problems are logged once each. */
function discoverUsable(ctx: ServerContext) {
  const reported = new Set<string>();
  return async () => {
    const env = process.env;
    const result = await discoverServers({
      config: ctx.config,
      home: env.HOME || env.USERPROFILE || homedir(),
      cwd: process.cwd(),
      platform: process.platform,
      env,
      execPath: process.execPath,
    });
    for (const p of result.problems) {
      const line = `${p.file}${p.line ? `:${p.line}` : ""}: ${p.reason}`;
      if (!reported.has(line)) ctx.log.warn(`MCP server config skipped: ${line}`);
      reported.add(line);
    }
    return usableServers(result);
  };
}

export const registerMcpProxy: ToolModule = (server: McpServer, ctx: ServerContext) => {
  const registry = new UpstreamRegistry({
    discover: discoverUsable(ctx),
    stateDir: ctx.config.stateDir,
    timeoutMs: ctx.config.upstreamTimeout,
    log: { debug: (m) => ctx.log.debug(m), warn: (m) => ctx.log.warn(m) },
  });
  const memory = new MemoryStore({ dir: join(ctx.config.stateDir, "memory") });
  ctx.sandboxExtensions.push(upstreamExtension(registry), memoryExtension(memory));
  ctx.onShutdown(() => registry.closeAll());

  server.registerResource(
    "capabilities",
    CAPABILITIES_URI,
    {
      title: "run_python helpers",
      description: "How code in run_python finds and calls other MCP servers and uses persistent memory.",
      mimeType: "text/markdown",
    },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: "text/markdown", text: capabilitiesText }] }),
  );
};
