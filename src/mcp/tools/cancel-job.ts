/** cancel_job: cancels a queued job at once, or asks the worker to stop a running one. */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { ToolModule } from "../context.ts";
import { waitForJob } from "../job-wait.ts";
import { errorResult } from "../results/error.ts";
import { jobNotFound, jobResult, jobView } from "../results/job.ts";

export const CANCEL_JOB_SPEC = {
  name: "cancel_job",
  description: "Cancel a queued job, or stop a running one (its process is terminated).",
  input: { job_id: z.string() },
  hints: { readOnly: false, destructive: true, idempotent: true, openWorld: false },
};

export const cancelJob: ToolModule = {
  group: "jobs",
  register(ctx) {
    ctx.register(CANCEL_JOB_SPEC, async (args, extra): Promise<CallToolResult> => {
      try {
        const q = ctx.services.queue();
        const before = await q.get(args.job_id);
        if (!before) return jobNotFound(args.job_id);
        if (before.result) {
          return jobResult(
            jobView(before, `The job had already finished (${before.state}); nothing to cancel.`),
            before,
            ctx.config.maxOutput,
          );
        }
        await q.cancel(args.job_id);
        // A running job stops within a moment; report the final state when it is there.
        const waited = await waitForJob(q, args.job_id, 5000, extra);
        const status = waited.status ?? before;
        const note = status.result
          ? undefined
          : `Cancellation requested; the worker stops the job shortly. ${waited.note ?? ""}`.trim();
        return jobResult(jobView(status, note), status, ctx.config.maxOutput);
      } catch (err) {
        return errorResult(err);
      }
    });
  },
};
