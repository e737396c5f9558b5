/** `bridge serve`: the MCP server on stdio. */
import { defineCommand } from "citty";
import { loadConfig } from "../config/index.ts";
import { EXIT } from "../errors.ts";
import { log, setLogLevel } from "../log.ts";
import { serveStdio } from "../mcp/stdio.ts";
import { selfCommand } from "../worker/service.ts";
import { oneLineSnippet } from "./client-config.ts";
import { runAction } from "./run-action.ts";

export default defineCommand({
  meta: { name: "serve", description: "Run the MCP server on stdio (what MCP clients start)" },
  args: {
    tools: {
      type: "string",
      description:
        "Tool groups to expose, comma-separated: sandbox, escalation, scripts, jobs (default: all; same as MCP_BRIDGE_TOOLS)",
    },
  },
  async run({ args }) {
    // Clients always connect pipes; a terminal means a person typed `bridge serve`.
    if (process.stdin.isTTY) {
      const self = selfCommand().join(" ");
      process.stderr.write(
        `bridge serve is an MCP server for an MCP client to start, not a terminal program: add ${oneLineSnippet()} to your client's config (\`${self} doctor\` checks this machine).\n`,
      );
      process.exit(EXIT.usage);
    }
    await runAction(async () => {
      const config = loadConfig({
        env: args.tools === undefined ? process.env : { ...process.env, MCP_BRIDGE_TOOLS: args.tools },
      });
      setLogLevel(config.logLevel);
      await serveStdio({ config, log });
    });
  },
});
