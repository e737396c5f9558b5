/**
 * run_script and list_bridge_scripts: the user's whitelisted host scripts, run by `bridge worker`
 * through the queue. The list comes from the catalog the worker publishes; names and arguments are
 * checked here for a quick answer and again by the worker, which alone decides what runs.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { BridgeError, describeError } from "../../errors.ts";
import { openQueue } from "../../queue/client.ts";
import { queueLayout } from "../../queue/layout.ts";
import { readSecret } from "../../queue/token.ts";
import type { QueueClient } from "../../queue/types.ts";
import { jobFailed, jobText, jobView, jobViewShape, waitForJob, waitMsFor, workerOfflineNote } from "../../queue/tool-support.ts";
import { validateArgs } from "../../scripts/catalog.ts";
import { assertScriptName } from "../../scripts/names.ts";
import { readCatalog } from "../../worker/catalog.ts";
import type { ToolModule } from "../context.ts";

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

const failure = (err: unknown): CallToolResult => ({ content: [{ type: "text", text: describeError(err) }], isError: true });

export const registerRunScript: ToolModule = (server: McpServer, ctx) => {
  let client: QueueClient | undefined;
  const queue = () => (client ??= openQueue(ctx.config));
  const layout = queueLayout(ctx.config.root);

  server.registerTool("list_bridge_scripts", {
    title: "List host scripts",
    description: "The scripts run_script may run on the user's machine: names, descriptions, argument schemas, read-only/destructive flags.",
    inputSchema: {},
    outputSchema: listShape,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, async (): Promise<CallToolResult> => {
    try {
      const workers = await queue().workerStatus();
      const catalog = readCatalog(layout, readSecret(ctx.config));
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
      return failure(err);
    }
  });

  server.registerTool("run_script", {
    title: "Run host script",
    description: "Run one of the user's whitelisted scripts on their machine (see list_bridge_scripts). args are passed as argv verbatim, no shell. Returns exit code and output, or the job id if it is still running.",
    inputSchema: {
      name: z.string(),
      args: z.array(z.string()).optional(),
      stdin: z.string().optional(),
      wait_seconds: z.number().min(0).max(3600).optional().describe("default 25 (600 with a progressToken)"),
    },
    outputSchema: jobViewShape,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  }, async (args, extra): Promise<CallToolResult> => {
    try {
      assertScriptName(args.name);
      const catalog = readCatalog(layout, readSecret(ctx.config));
      const q = queue();
      const workers = await q.workerStatus();
      if (!workers.alive) throw new BridgeError("WORKER_OFFLINE", workerOfflineNote(workers));
      const script = catalog?.scripts.find((s) => s.name === args.name);
      if (catalog && !script) {
        const names = catalog.scripts.map((s) => s.name);
        throw new BridgeError("SCRIPT_REJECTED", `"${args.name}" is not a whitelisted script.`, { hint: names.length ? `Available: ${names.join(", ")}.` : "No scripts are whitelisted; the user adds executables to the worker's scripts directory." });
      }
      const argv = args.args ?? [];
      if (script) validateArgs(script, argv);
      const job = await q.submit("script", { name: args.name, args: argv, ...(args.stdin === undefined ? {} : { stdin: args.stdin }) });
      const waited = await waitForJob(q, job.id, waitMsFor(args.wait_seconds, extra._meta?.progressToken !== undefined), extra);
      const status = waited.status ?? (await q.get(job.id));
      if (!status) throw new BridgeError("QUEUE_FAILED", `Job ${job.id} disappeared from the queue.`);
      const view = jobView(status, waited.note);
      return { content: [{ type: "text", text: jobText(view) }], structuredContent: view, isError: jobFailed(view) };
    } catch (err) {
      return failure(err);
    }
  });
};
