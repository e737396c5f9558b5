/** The MCP server factory: builds the services once, then one McpServer with bridge's tools. */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { VERSION } from "../version.ts";
import type { Services, ToolContext } from "./context.ts";
import { registerCapabilities } from "./resources/capabilities.ts";
import { buildServices, type ServiceOptions } from "./services.ts";
import { TOOL_MODULES } from "./tools/index.ts";

/** Shown to the model once at initialize: what bridge offers and how to use it well. */
export const INSTRUCTIONS = [
  "bridge gives you safe local execution.",
  "run_python runs Python in an isolated, network-less container; other MCP servers are reachable from that code",
  "(discovered_servers(), search_tool_docs(query), mcp_<server>.<tool>(...)) instead of as separate tools.",
  "escalate_to_claude hands a task to Claude Code on the user's machine; run_script runs the user's whitelisted scripts.",
].join(" ");

export interface ServerOptions extends ServiceOptions {
  /** Services to use instead of the real ones (tests). */
  services?: Partial<Services>;
}

/** Builds a server with every tool registered over services built for it. */
export function createServer(opts: ServerOptions): McpServer {
  const { services, sandboxReachesServers } = buildServices(opts, opts.services);
  const ctx: ToolContext = { config: opts.config, log: opts.log, services, sandboxReachesServers };
  const server = new McpServer(
    { name: "bridge", title: "bridge", version: VERSION },
    { instructions: INSTRUCTIONS, capabilities: { logging: {} } },
  );
  for (const register of TOOL_MODULES) register(server, ctx);
  registerCapabilities(server);
  return server;
}
