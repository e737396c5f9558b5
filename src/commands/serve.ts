/** `bridge serve`: the MCP server on stdio. */
import { defineCommand } from "citty";
import { loadConfig } from "../config/index.ts";
import { log, setLogLevel } from "../log.ts";
import { serveStdio } from "../mcp/stdio.ts";
import { runAction } from "./run-action.ts";

export default defineCommand({
  meta: { name: "serve", description: "Run the MCP server on stdio (what MCP clients start)" },
  async run() {
    await runAction(async () => {
      const config = loadConfig();
      setLogLevel(config.logLevel);
      await serveStdio({ config, log });
    });
  },
});
