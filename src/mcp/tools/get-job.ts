/**
 * get_job: state and result of a queued job (run_script or escalate_to_claude), waiting up to
 * wait_seconds for it to finish. Everything it reports is read from the queue on disk, so it works
 * across restarts of serve and the worker.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { ToolModule } from "../context.ts";
import { waitForJob, waitMsFor } from "../job-wait.ts";
import { errorResult } from "../results/error.ts";
import { jobFailed, jobNotFound, jobText, jobView, jobViewShape } from "../results/job.ts";

export const registerGetJob: ToolModule = (server: McpServer, ctx) => {
  server.registerTool("get_job", {
    title: "Get job",
    description: "State and result of a queued job (run_script or escalate_to_claude). Waits up to wait_seconds for it to finish (0: do not wait).",
    inputSchema: {
      job_id: z.string().describe("id returned by run_script / escalate_to_claude"),
      wait_seconds: z.number().min(0).max(3600).optional().describe("default 25 (600 with a progressToken)"),
    },
    outputSchema: jobViewShape,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, async (args, extra): Promise<CallToolResult> => {
    try {
      const q = ctx.services.queue();
      let status = await q.get(args.job_id);
      if (!status) return jobNotFound(args.job_id);
      let note: string | undefined;
      if (!status.result) {
        const waited = await waitForJob(q, args.job_id, waitMsFor(args.wait_seconds, extra._meta?.progressToken !== undefined), extra);
        status = waited.status ?? status;
        note = waited.note;
      }
      const view = jobView(status, note);
      return { content: [{ type: "text", text: jobText(view) }], structuredContent: view, isError: jobFailed(view) };
    } catch (err) {
      return errorResult(err);
    }
  });
};
