/** The MCP server factory: one McpServer with bridge's tools, independent of any transport. */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { VERSION } from "../version.ts";
import type { ServerContext } from "./context.ts";
import { TOOL_MODULES } from "./tools/index.ts";

/** Shown to the model once at initialize: what bridge offers and how to use it well. */
export const INSTRUCTIONS = [
  "bridge gives you safe local execution.",
  "run_python runs Python in an isolated, network-less container; other MCP servers are reachable from that code",
  "(discovered_servers(), search_tool_docs(query), mcp_<server>.<tool>(...)) instead of as separate tools.",
  "escalate_to_claude hands a task to Claude Code on the user's machine; run_script runs the user's whitelisted scripts.",
].join(" ");

/** Builds a server with every tool module registered. */
export function createServer(ctx: ServerContext): McpServer {
  const server = new McpServer(
    { name: "bridge", title: "bridge", version: VERSION },
    { instructions: INSTRUCTIONS, capabilities: { logging: {} } },
  );
  for (const register of TOOL_MODULES) register(server, ctx);
  return server;
}
