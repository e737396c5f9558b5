/** cancel_job: cancels a queued job at once, or asks the worker to stop a running one. */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { ToolModule } from "../context.ts";
import { waitForJob } from "../job-wait.ts";
import { errorResult } from "../results/error.ts";
import { jobNotFound, jobText, jobView, jobViewShape } from "../results/job.ts";

export const registerCancelJob: ToolModule = (server: McpServer, ctx) => {
  server.registerTool("cancel_job", {
    title: "Cancel job",
    description: "Cancel a queued job at once, or stop a running one (its process is terminated). A finished job is left as it is.",
    inputSchema: { job_id: z.string() },
    outputSchema: jobViewShape,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  }, async (args, extra): Promise<CallToolResult> => {
    try {
      const q = ctx.services.queue();
      const before = await q.get(args.job_id);
      if (!before) return jobNotFound(args.job_id);
      if (before.result) {
        const view = jobView(before, `The job had already finished (${before.state}); nothing to cancel.`);
        return { content: [{ type: "text", text: jobText(view) }], structuredContent: view };
      }
      await q.cancel(args.job_id);
      // A running job stops within a moment; report the final state when it is there.
      const waited = await waitForJob(q, args.job_id, 5000, extra);
      const status = waited.status ?? before;
      const note = status.result ? undefined : `Cancellation requested; the worker stops the job shortly. ${waited.note ?? ""}`.trim();
      const view = jobView(status, note);
      return { content: [{ type: "text", text: jobText(view) }], structuredContent: view };
    } catch (err) {
      return errorResult(err);
    }
  });
};
