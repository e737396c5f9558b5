/**
 * Not a tool of its own: plugs the MCP proxies and the memory helpers into run_python (as sandbox
 * extensions) and registers `resource://bridge/capabilities`, which documents them. Must come
 * before run_python in TOOL_MODULES. Upstream clients are closed on shutdown.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import capabilitiesText from "../../upstream/capabilities.md" with { type: "text" };
import { createSandboxExtensions } from "../../upstream/sandbox-extensions.ts";
import type { ServerContext, ToolModule } from "../context.ts";

export const CAPABILITIES_URI = "resource://bridge/capabilities";

export const registerMcpProxy: ToolModule = (server: McpServer, ctx: ServerContext) => {
  // Building the extensions starts nothing (servers start on first use), so inspectOnly needs no branch.
  const { extensions, close } = createSandboxExtensions(ctx.config, ctx.log);
  ctx.sandboxExtensions.push(...extensions);
  ctx.onShutdown(close);

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
