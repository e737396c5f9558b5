/**
 * A stdio MCP server that proves whether it was ever started: the moment it runs it writes
 * `<dir>/<name>.started` (before any MCP traffic), then serves one tool, `marker_<name>`, described
 * as a "marker tool" so tool-doc search finds it. Usage: `bun marker-server.ts <dir> <name>`.
 */
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

const [dir, name] = process.argv.slice(2);
if (!dir || !name) throw new Error("usage: marker-server.ts <dir> <name>");
appendFileSync(join(dir, `${name}.started`), `${process.pid}\n`);

const server = new McpServer({ name: `marker-${name}`, version: "1.0.0" });
server.registerTool(
  `marker_${name.replace(/[^A-Za-z0-9_]/g, "_")}`,
  { description: `A marker tool of server ${name}`, inputSchema: {} },
  async () => ({
    content: [{ type: "text", text: `marker ${name}` }],
  }),
);
await server.connect(new StdioServerTransport());
process.stdin.on("end", () => process.exit(0));
