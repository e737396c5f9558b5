/**
 * run_script: runs one of the user's whitelisted host scripts through the queue (`bridge worker`
 * runs it). The name and arguments are checked here against the published catalog for a quick
 * answer and again by the worker, which alone decides what runs.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { BridgeError } from "../../errors.ts";
import { validateArgs } from "../../host-scripts/catalog.ts";
import { assertScriptName } from "../../host-scripts/names.ts";
import type { ToolModule } from "../context.ts";
import { waitForJob, waitMsFor, workerOfflineNote } from "../job-wait.ts";
import { errorResult } from "../results/error.ts";
import { jobFailed, jobText, jobView, jobViewShape } from "../results/job.ts";

export const registerRunScript: ToolModule = (server: McpServer, ctx) => {
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
      const catalog = ctx.services.catalog();
      const q = ctx.services.queue();
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
      return errorResult(err);
    }
  });
};
