/**
 * A tiny stdio MCP server for tests: `add_tool` registers a new tool at runtime, which makes the
 * SDK send notifications/tools/list_changed; `whoami` returns this process's pid; `list_tools` is
 * named like a bridge helper.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "dynamic", version: "1.0.0" }, { capabilities: { tools: { listChanged: true } } });
server.registerTool("whoami", { description: "Returns the server pid", inputSchema: {} }, async () => ({
  content: [{ type: "text", text: String(process.pid) }],
}));
server.registerTool(
  "list_tools",
  { description: "A tool named like a bridge helper", inputSchema: { prefix: z.string().optional() } },
  async ({ prefix }) => ({
    content: [{ type: "text", text: `${prefix ?? ""}tool named list_tools` }],
  }),
);
server.registerTool(
  "big",
  { description: "Returns `size` bytes of text", inputSchema: { size: z.number() } },
  async ({ size }) => ({
    content: [{ type: "text", text: "x".repeat(size) }],
  }),
);
server.registerTool(
  "add_tool",
  { description: "Adds a tool named by `name`", inputSchema: { name: z.string() } },
  async ({ name }) => {
    server.registerTool(name, { description: `Dynamically added tool ${name}`, inputSchema: {} }, async () => ({
      content: [{ type: "text", text: "added" }],
    }));
    return { content: [{ type: "text", text: "ok" }] };
  },
);
await server.connect(new StdioServerTransport());
process.stdin.on("end", () => process.exit(0));
