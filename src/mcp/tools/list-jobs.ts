/** list_jobs: recent queued jobs, newest first, and whether a worker is running. */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { JOB_STATES, type JobState } from "../../queue/types.ts";
import type { ToolModule } from "../context.ts";
import { workerOfflineNote } from "../job-wait.ts";
import { errorResult } from "../results/error.ts";

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

export const registerListJobs: ToolModule = (server: McpServer, ctx) => {
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
      const q = ctx.services.queue();
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
      return errorResult(err);
    }
  });
};
