/**
 * escalate_to_claude: hands a task to Claude Code on the user's machine through the file queue.
 * Enqueues a signed job, waits up to wait_seconds while relaying the run's progress as
 * notifications/progress (the shared wait loop in src/mcp/job-wait.ts, which also cancels the
 * job on notifications/cancelled and notices a worker that died), and returns the outcome — or the
 * job id and state, for get_job to continue. With no live worker it says so at once.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { BridgeError } from "../../errors.ts";
import { PERMISSION_MODES } from "../../queue/schema.ts";
import type { ClaudeJobBody } from "../../queue/types.ts";
import type { ToolModule } from "../context.ts";
import { waitForJob, workerOfflineNote } from "../job-wait.ts";
import { errorResult } from "../results/error.ts";
import {
  MAX_WAIT_SECONDS, escalateOutputShape, finalReport, noWorkerReport, pendingReport, pendingState, waitSecondsFor, type EscalateReport,
} from "../results/escalate.ts";

export const ESCALATE = {
  name: "escalate_to_claude",
  description:
    "Hand a task to Claude Code on the user's machine (their login, their files). Returns Claude's answer, session_id (to continue), cost, turns and any refused tool calls; if it takes longer than wait_seconds, returns job_id for get_job.",
  inputShape: {
    request: z.string().min(1).max(200_000).describe("The task, in plain words"),
    wait_seconds: z.number().min(0).max(MAX_WAIT_SECONDS).optional().describe("default 45 (600 with a progressToken)"),
    cwd: z.string().min(1).max(4096).optional().describe("host directory inside the worker's allowed roots"),
    session_id: z.string().regex(/^[0-9a-fA-F-]{36}$/, "expected a session UUID").optional().describe("continue this session"),
    model: z.string().min(1).max(100).optional(),
    max_turns: z.number().int().min(1).max(10_000).optional(),
    permission_mode: z.enum(PERMISSION_MODES).optional().describe("at most the worker's ceiling"),
  },
};

const toResult = (r: EscalateReport): CallToolResult => ({
  content: [{ type: "text", text: r.text }],
  structuredContent: r.structured,
  isError: r.isError,
});

/** The job body: only the fields the caller gave (the queue signs a canonical body). */
function jobBody(args: { request: string; cwd?: string; session_id?: string; model?: string; max_turns?: number; permission_mode?: ClaudeJobBody["permission_mode"] }): ClaudeJobBody {
  const body: ClaudeJobBody = { request: args.request };
  if (args.cwd !== undefined) body.cwd = args.cwd;
  if (args.session_id !== undefined) body.session_id = args.session_id;
  if (args.model !== undefined) body.model = args.model;
  if (args.max_turns !== undefined) body.max_turns = args.max_turns;
  if (args.permission_mode !== undefined) body.permission_mode = args.permission_mode;
  return body;
}

export const registerEscalate: ToolModule = (server: McpServer, ctx) => {
  server.registerTool(
    ESCALATE.name,
    {
      title: "Escalate to Claude Code",
      description: ESCALATE.description,
      inputSchema: ESCALATE.inputShape,
      outputSchema: escalateOutputShape,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    async (args, extra): Promise<CallToolResult> => {
      try {
        const q = ctx.services.queue();
        const workers = await q.workerStatus();
        if (!workers.alive) return toResult(noWorkerReport(workerOfflineNote(workers), workers.startCommand));
        const job = await q.submit("claude", jobBody(args));
        ctx.log.debug(`escalate_to_claude: queued ${job.id}`);
        const started = Date.now();
        const waitSeconds = waitSecondsFor(args.wait_seconds, extra._meta?.progressToken !== undefined);
        const waited = await waitForJob(q, job.id, waitSeconds * 1000, extra);
        const status = waited.status ?? (await q.get(job.id));
        if (!status) throw new BridgeError("QUEUE_FAILED", `Job ${job.id} disappeared from the queue.`, { hint: "Check the journal in BRIDGE_ROOT/queue." });
        if (status.result) return toResult(finalReport(status.result, ctx.config.maxOutput));
        return toResult(pendingReport(job.id, pendingState(status), (Date.now() - started) / 1000, waited.note));
      } catch (err) {
        return errorResult(err);
      }
    },
  );
};
