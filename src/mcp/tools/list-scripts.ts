/**
 * list_bridge_scripts: the user's whitelisted host scripts, from the catalog the worker publishes
 * (src/queue/catalog.ts), so serve never reads the scripts directory itself.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { ToolModule } from "../context.ts";
import { workerOfflineNote } from "../job-wait.ts";
import { errorResult } from "../results/error.ts";

const listShape = {
  scripts: z.array(z.object({
    name: z.string(),
    description: z.string().optional(),
    args_schema: z.record(z.string(), z.unknown()).optional().describe("JSON Schema of the argv array"),
    timeout_seconds: z.number().optional(),
    read_only: z.boolean(),
    destructive: z.boolean(),
  })),
  problems: z.array(z.string()),
  worker_alive: z.boolean(),
  updated_at: z.string().optional(),
  note: z.string().optional(),
};

export const registerListScripts: ToolModule = (server: McpServer, ctx) => {
  server.registerTool("list_bridge_scripts", {
    title: "List host scripts",
    description: "The scripts run_script may run on the user's machine: names, descriptions, argument schemas, read-only/destructive flags.",
    inputSchema: {},
    outputSchema: listShape,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, async (): Promise<CallToolResult> => {
    try {
      const workers = await ctx.services.queue().workerStatus();
      const catalog = ctx.services.catalog();
      const out = z.object(listShape).parse({
        scripts: (catalog?.scripts ?? []).map((s) => ({
          name: s.name, description: s.description, args_schema: s.argsSchema,
          timeout_seconds: s.timeoutMs === undefined ? undefined : s.timeoutMs / 1000,
          read_only: s.readOnly, destructive: s.destructive,
        })),
        problems: catalog?.problems ?? [],
        worker_alive: workers.alive,
        updated_at: catalog?.updatedAt,
        note: !catalog ? `No script list yet: it is published by the worker. ${workerOfflineNote(workers)}` : workers.alive ? undefined : workerOfflineNote(workers),
      });
      const lines = out.scripts.map((s) => `${s.name}${s.read_only ? " (read-only)" : s.destructive ? " (destructive)" : ""}: ${s.description ?? "no description"}${s.args_schema ? `\n  args: ${JSON.stringify(s.args_schema)}` : ""}`);
      const text = [lines.length ? lines.join("\n") : "No scripts are whitelisted.", ...out.problems.map((p) => `skipped ${p}`), out.note].filter(Boolean).join("\n");
      return { content: [{ type: "text", text }], structuredContent: out };
    } catch (err) {
      return errorResult(err);
    }
  });
};
