/**
 * `resource://bridge/capabilities`: documents the helpers code in run_python gets (MCP proxies,
 * tool-doc search, persistent memory). The helpers themselves are sandbox extensions built with the
 * services (src/mcp/services.ts).
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import capabilitiesText from "../../upstream/capabilities.md" with { type: "text" };

export const CAPABILITIES_URI = "resource://bridge/capabilities";

export function registerCapabilities(server: McpServer): void {
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
}
