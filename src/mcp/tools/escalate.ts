/**
 * escalate_to_claude: hands a task to Claude Code on the user's machine through the file queue.
 * Enqueues a signed job, waits up to wait_seconds while relaying the run's progress as
 * notifications/progress (src/mcp/job-wait.ts, which also cancels the job on
 * notifications/cancelled and notices a worker that died), and returns the job view — with
 * Claude's answer, or the job id and state for get_job to continue. With no live worker it says so at once.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { BridgeError } from "../../errors.ts";
import { ClaudeBodySchema, PERMISSION_MODES } from "../../queue/schema.ts";
import type { ClaudeJobBody } from "../../queue/types.ts";
import type { ToolModule } from "../context.ts";
import { ESCALATE_WAIT_SECONDS, waitForJob, waitMsFor, workerOfflineNote } from "../job-wait.ts";
import { errorResult } from "../results/error.ts";
import { jobResult, jobView, noWorkerView, submitWithKey } from "../results/job.ts";
import { checkedBody } from "../tool-def.ts";

export const ESCALATE_SPEC = {
  name: "escalate_to_claude",
  description:
    "Hand a task to Claude Code on the user's machine (their login, their files). Returns Claude's answer and session_id (pass it back to continue), or job_id for get_job if it runs past wait_seconds.",
  input: {
    request: z.string(),
    cwd: z.string().optional().describe("host directory"),
    session_id: z.string().optional(),
    model: z.string().optional(),
    max_turns: z.number().int().optional(),
    permission_mode: z.enum(PERMISSION_MODES).optional(),
    wait_seconds: z.number().optional().describe(`default ${ESCALATE_WAIT_SECONDS}`),
    idempotency_key: z.string().optional(),
  },
  hints: { readOnly: false, destructive: true, idempotent: false, openWorld: true },
};

export const escalate: ToolModule = {
  group: "escalation",
  register(ctx) {
    ctx.register(ESCALATE_SPEC, async (args, extra): Promise<CallToolResult> => {
      try {
        const { wait_seconds, idempotency_key: key, ...fields } = args;
        const body: ClaudeJobBody = checkedBody(ClaudeBodySchema, fields, "escalate_to_claude");
        const q = ctx.services.queue();
        const prior = key === undefined ? undefined : await q.findKey("claude", body, key);
        if (!prior) {
          const workers = await q.workerStatus();
          if (!workers.alive)
            return jobResult(
              noWorkerView(workerOfflineNote(workers), workers.startCommand),
              undefined,
              ctx.config.maxOutput,
            );
        }
        const job = prior ? { id: prior, reused: true } : await submitWithKey(q, "claude", body, key);
        ctx.log.debug(`escalate_to_claude: ${job.reused ? "reused" : "queued"} ${job.id}`);
        const waited = await waitForJob(
          q,
          job.id,
          waitMsFor(wait_seconds, extra._meta?.progressToken !== undefined, ESCALATE_WAIT_SECONDS),
          extra,
        );
        const status = waited.status ?? (await q.get(job.id));
        if (!status)
          throw new BridgeError("QUEUE_FAILED", `Job ${job.id} disappeared from the queue.`, {
            hint: "Check the journal in BRIDGE_ROOT/queue.",
          });
        return jobResult(
          { ...jobView(status, waited.note), ...(job.reused ? { reused: true } : {}) },
          status,
          ctx.config.maxOutput,
        );
      } catch (err) {
        return errorResult(err);
      }
    });
  },
};
