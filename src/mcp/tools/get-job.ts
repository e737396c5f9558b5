/**
 * get_job: state and result of a queued job (run_script or escalate_to_claude), waiting up to
 * wait_seconds for it to finish; without a job id, the recent jobs. Everything it reports is read
 * from the queue on disk, so it works across restarts of serve and the worker.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { ToolContext, ToolModule } from "../context.ts";
import { waitForJob, waitMsFor, workerOfflineNote } from "../job-wait.ts";
import { errorResult } from "../results/error.ts";
import { jobNotFound, jobResult, jobView } from "../results/job.ts";

export const GET_JOB_SPEC = {
  name: "get_job",
  description:
    "State and result of a run_script or escalate_to_claude job, waiting up to wait_seconds (default 25) for it to finish. Without job_id: the recent jobs.",
  input: {
    job_id: z.string().optional(),
    wait_seconds: z.number().optional(),
  },
  hints: { readOnly: true, destructive: false, idempotent: true, openWorld: false },
};

const LIST_LIMIT = 50;

/** The newest jobs, one line each, and whether a worker is running. */
async function listJobs(ctx: ToolContext): Promise<CallToolResult> {
  const q = ctx.services.queue();
  const [jobs, workers] = await Promise.all([q.list(undefined, LIST_LIMIT), q.workerStatus()]);
  const rows = jobs.map((j) => ({
    job_id: j.id,
    state: j.state,
    kind: j.kind,
    summary: j.summary,
    created_at: j.createdAt,
    ...(j.result?.error ? { error_code: j.result.error.code } : {}),
  }));
  const next = workers.alive ? undefined : workerOfflineNote(workers);
  const lines = rows.map(
    (j) =>
      `${j.job_id}  ${j.state.padEnd(11)} ${j.kind.padEnd(6)} ${j.summary}${j.error_code ? `  [${j.error_code}]` : ""}`,
  );
  const text = [lines.length ? lines.join("\n") : "No jobs.", next].filter(Boolean).join("\n");
  return { content: [{ type: "text", text }], structuredContent: { jobs: rows, ...(next ? { next } : {}) } };
}

export const getJob: ToolModule = {
  group: "jobs",
  register(ctx) {
    ctx.register(GET_JOB_SPEC, async (args, extra): Promise<CallToolResult> => {
      try {
        if (args.job_id === undefined) return await listJobs(ctx);
        const q = ctx.services.queue();
        let status = await q.get(args.job_id);
        if (!status) return jobNotFound(args.job_id);
        let note: string | undefined;
        if (!status.result) {
          const waited = await waitForJob(
            q,
            args.job_id,
            waitMsFor(args.wait_seconds, extra._meta?.progressToken !== undefined),
            extra,
          );
          status = waited.status ?? status;
          note = waited.note;
        }
        return jobResult(jobView(status, note), status, ctx.config.maxOutput);
      } catch (err) {
        return errorResult(err);
      }
    });
  },
};
