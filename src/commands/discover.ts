/** `bridge discover`: lists the MCP servers found in client config files, optionally with tool costs. */
import { homedir } from "node:os";
import { defineCommand } from "citty";
import { loadConfig, parseDuration } from "../config/index.ts";
import { BridgeError } from "../errors.ts";
import { log, setLogLevel } from "../log.ts";
import { discoverServers, usableServers } from "../upstream/discovery/index.ts";
import {
  jsonDocument,
  renderCostSummary,
  renderNotes,
  renderProblems,
  renderSearched,
  renderTable,
} from "../upstream/discovery/render.ts";
import type { ToolCostReport } from "../upstream/discovery/tool-costs.ts";
import { runAction } from "./run-action.ts";

export default defineCommand({
  meta: {
    name: "discover",
    description: "List MCP servers configured for your MCP clients (Claude, Cursor, VS Code, …)",
  },
  args: {
    json: { type: "boolean", description: "Print one JSON document on stdout" },
    tools: { type: "boolean", description: "Connect to each usable server: tool count and o200k token cost" },
    timeout: { type: "string", description: "Per-server deadline for --tools (default 15s)" },
    verbose: { type: "boolean", description: "Also list every config file looked at" },
    "show-secrets": {
      type: "boolean",
      description: "Show env and header values, URL keys and secret arguments (masked by default)",
    },
  },
  async run({ args }) {
    await runAction(async () => {
      const config = loadConfig();
      setLogLevel(config.logLevel);
      const timeoutMs = parseDuration(args.timeout ?? "15s");
      if (!timeoutMs)
        throw new BridgeError("USAGE", `--timeout "${args.timeout}" is not a duration`, {
          hint: "Use e.g. 15s, 30s or 1m.",
        });
      const env = process.env;
      const home = env.HOME || env.USERPROFILE || homedir();
      const cwd = process.cwd();
      const result = await discoverServers({
        config,
        home,
        cwd,
        platform: process.platform,
        env,
        execPath: process.execPath,
      });

      let costs: ToolCostReport | undefined;
      if (args.tools) {
        const [{ measureToolCosts }, { listServerTools }, { bridgeToolListing }, { countTokens }] = await Promise.all([
          import("../upstream/discovery/tool-costs.ts"),
          import("../upstream/discovery/list-tools.ts"),
          import("../mcp/tool-listing.ts"),
          import("gpt-tokenizer/encoding/o200k_base"),
        ]);
        costs = await measureToolCosts(usableServers(result), {
          listTools: listServerTools,
          countTokens,
          bridgeTools: await bridgeToolListing(config, log),
          timeoutMs,
        });
      }

      if (args.json) {
        process.stdout.write(
          `${JSON.stringify(jsonDocument(result, costs, Boolean(args["show-secrets"])), null, 2)}\n`,
        );
        return;
      }
      process.stdout.write(
        `${renderTable(result, { home, cwd, costs, showSecrets: Boolean(args["show-secrets"]) })}\n`,
      );
      if (costs) process.stdout.write(`\n${renderCostSummary(costs)}\n`);
      if (args.verbose)
        process.stderr.write(`\nConfig files looked at, in priority order:\n${renderSearched(result, home)}\n`);
      const notes = renderNotes(result.servers, home, cwd);
      if (notes) process.stderr.write(`\nNotes:\n${notes}\n`);
      if (result.problems.length) {
        process.stderr.write(
          `\n${result.problems.length} config problem(s); these files or entries were skipped:\n${renderProblems(result.problems, home)}\n`,
        );
      }
    });
  },
});
