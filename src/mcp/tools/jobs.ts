/**
 * get_job, cancel_job, list_jobs: look after queued work (scripts and Claude escalations) across
 * restarts of serve and the worker — everything they report is read from the queue on disk.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { describeError } from "../../errors.ts";
import { openQueue } from "../../queue/client.ts";
import { JOB_STATES, type JobState, type QueueClient } from "../../queue/types.ts";
import { jobFailed, jobText, jobView, jobViewShape, waitForJob, waitMsFor, workerOfflineNote } from "../../queue/tool-support.ts";
import type { ToolModule } from "../context.ts";

const notFound = (id: string): CallToolResult => ({
  content: [{ type: "text", text: `No job with id "${id}" in this queue (it may be older than the retention period). Call list_jobs to see known jobs.` }],
  isError: true,
});
const failure = (err: unknown): CallToolResult => ({ content: [{ type: "text", text: describeError(err) }], isError: true });

const listShape = {
  jobs: z.array(z.object({
    job_id: z.string(),
    kind: z.enum(["claude", "script"]),
    state: z.enum(JOB_STATES as [string, ...string[]]),
    summary: z.string(),
    created_at: z.string(),
    finished_at: z.string().optional(),
    error_code: z.string().optional(),
  })),
  worker_alive: z.boolean(),
  note: z.string().optional(),
};

export const registerJobTools: ToolModule = (server: McpServer, ctx) => {
  let client: QueueClient | undefined;
  const queue = () => (client ??= openQueue(ctx.config));

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
      const q = queue();
      let status = await q.get(args.job_id);
      if (!status) return notFound(args.job_id);
      let note: string | undefined;
      if (!status.result) {
        const waited = await waitForJob(q, args.job_id, waitMsFor(args.wait_seconds, extra._meta?.progressToken !== undefined), extra);
        status = waited.status ?? status;
        note = waited.note;
      }
      const view = jobView(status, note);
      return { content: [{ type: "text", text: jobText(view) }], structuredContent: view, isError: jobFailed(view) };
    } catch (err) {
      return failure(err);
    }
  });

  server.registerTool("cancel_job", {
    title: "Cancel job",
    description: "Cancel a queued job at once, or stop a running one (its process is terminated). A finished job is left as it is.",
    inputSchema: { job_id: z.string() },
    outputSchema: jobViewShape,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  }, async (args, extra): Promise<CallToolResult> => {
    try {
      const q = queue();
      const before = await q.get(args.job_id);
      if (!before) return notFound(args.job_id);
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
      return failure(err);
    }
  });

  server.registerTool("list_jobs", {
    title: "List jobs",
    description: "Recent queued jobs (newest first), optionally only those in one state, and whether a worker is running.",
    inputSchema: {
      state: z.enum(JOB_STATES as [JobState, ...JobState[]]).optional(),
      limit: z.number().int().min(1).max(500).optional().describe("default 50"),
    },
    outputSchema: listShape,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, async (args): Promise<CallToolResult> => {
    try {
      const q = queue();
      const [jobs, workers] = await Promise.all([q.list(args.state, args.limit ?? 50), q.workerStatus()]);
      const out = z.object(listShape).parse({
        jobs: jobs.map((j) => ({ job_id: j.id, kind: j.kind, state: j.state, summary: j.summary, created_at: j.createdAt, finished_at: j.result?.finishedAt, error_code: j.result?.error?.code })),
        worker_alive: workers.alive,
        note: workers.alive ? undefined : workerOfflineNote(workers),
      });
      const lines = out.jobs.map((j) => `${j.job_id}  ${j.state.padEnd(11)} ${j.kind.padEnd(6)} ${j.summary}${j.error_code ? `  [${j.error_code}]` : ""}`);
      const text = [lines.length ? lines.join("\n") : `No ${args.state ?? ""} jobs.`.replace("  ", " "), out.note].filter(Boolean).join("\n");
      return { content: [{ type: "text", text }], structuredContent: out };
    } catch (err) {
      return failure(err);
    }
  });
};
