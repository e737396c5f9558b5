/**
 * What escalate_to_claude returns: one structured record (declared as the tool's outputSchema) and
 * a short text for people, built from a job's status or final result. Pure.
 */
import { z } from "zod";
import type { JobResult, JobStatus } from "../../queue/types.ts";
import { ClaudeOutcomeSchema, type ClaudeOutcome } from "../../queue/outcome.ts";

export const ESCALATE_STATES = ["queued", "running", "done", "failed", "cancelled", "interrupted", "rejected", "no_worker"] as const;

/** The tool's output shape (snake_case: shown to MCP clients as is). */
export const escalateOutputShape = {
  job_id: z.string().nullable().describe("Pass to get_job / cancel_job"),
  state: z.enum(ESCALATE_STATES),
  finished: z.boolean(),
  session_id: z.string().nullable().describe("Pass back as session_id to continue the conversation"),
  outcome: ClaudeOutcomeSchema.nullable(),
  error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }).nullable(),
  next: z.string().describe("What to do next"),
};
export const EscalateOutputSchema = z.object(escalateOutputShape).strict();
export type EscalateOutput = z.infer<typeof EscalateOutputSchema>;

export interface EscalateReport {
  structured: EscalateOutput;
  text: string;
  isError: boolean;
}

const clip = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max)}\n[… ${text.length - max} more characters; see structuredContent or get_job]`;

function finish(structured: EscalateOutput, text: string, isError: boolean): EscalateReport {
  return { structured: EscalateOutputSchema.parse(structured), text, isError };
}

/** The report when no worker is alive (nothing was queued); `note` says how to start one. */
export function noWorkerReport(note: string, startCommand: string): EscalateReport {
  const hint = `On the host, run: ${startCommand}   (or once: bridge worker --install-service)`;
  return finish(
    { job_id: null, state: "no_worker", finished: true, session_id: null, outcome: null, error: { code: "WORKER_OFFLINE", message: note, hint }, next: hint },
    `Nothing was queued. ${note}`,
    true,
  );
}

/** The report for a job that is not final yet; `note` explains an early end of the wait (worker gone). */
export function pendingReport(id: string, state: "queued" | "running", waitedSeconds: number, note?: string): EscalateReport {
  const next = `Call get_job with job_id "${id}" to wait for the result, or cancel_job to stop it.`;
  return finish(
    { job_id: id, state, finished: false, session_id: null, outcome: null, error: null, next: note ?? next },
    `Job ${id} is ${state} after ${Math.round(waitedSeconds)} s. ${note ?? next}`,
    false,
  );
}

/** The report for a final result. `maxText` bounds the text block. */
export function finalReport(result: JobResult, maxText: number): EscalateReport {
  const parsed = ClaudeOutcomeSchema.safeParse(result.outcome);
  const outcome: ClaudeOutcome | null = parsed.success ? parsed.data : null;
  const partial = (result.outcome ?? {}) as { session_id?: unknown };
  const sessionId = outcome?.session_id ?? (typeof partial.session_id === "string" ? partial.session_id : null);
  const ok = result.state === "done" && outcome?.classification === "success";
  const error = result.error ? { code: result.error.code, message: result.error.message, ...(result.error.hint ? { hint: result.error.hint } : {}) } : null;
  const resume = sessionId ? ` Continue with escalate_to_claude(session_id="${sessionId}").` : "";
  const next = ok ? `Done.${resume}` : error?.hint ?? (resume ? resume.trim() : "See error.");

  const lines: string[] = [];
  if (ok && outcome) {
    const cost = outcome.total_cost_usd === null ? "" : `, $${outcome.total_cost_usd.toFixed(4)}`;
    lines.push(`Claude finished (session ${sessionId ?? "?"}, ${outcome.num_turns ?? "?"} turns${cost}).`, "", outcome.result ?? "(no text)");
  } else {
    const what = outcome ? `${outcome.classification}: ${outcome.message}` : `${result.state}: ${error?.message ?? "no details"}`;
    lines.push(`Job ${result.id} ${result.state} — ${what}`);
    if (error?.hint) lines.push(`→ ${error.hint}`);
    if (outcome?.permission_denials.length) {
      lines.push("Refused tool calls:");
      for (const d of outcome.permission_denials.slice(0, 10)) lines.push(`- ${d.tool_name} ${JSON.stringify(d.tool_input ?? {}).slice(0, 200)}`);
    }
    if (outcome?.result) lines.push("", outcome.result);
  }
  return finish(
    { job_id: result.id, state: result.state, finished: true, session_id: sessionId, outcome, error, next },
    clip(lines.join("\n"), maxText),
    !ok,
  );
}

/** Seconds the tool waits: the caller's choice (capped), else 45 s (below common 60 s client timeouts), or 10 min with a progress token. */
export function waitSecondsFor(requested: number | undefined, hasProgressToken: boolean): number {
  if (requested !== undefined) return Math.max(0, Math.min(requested, MAX_WAIT_SECONDS));
  return hasProgressToken ? PROGRESS_WAIT_SECONDS : DEFAULT_WAIT_SECONDS;
}
export const DEFAULT_WAIT_SECONDS = 45;
export const PROGRESS_WAIT_SECONDS = 600;
export const MAX_WAIT_SECONDS = 3600;

/** The job state a not-yet-final status reports. */
export function pendingState(status: JobStatus | undefined): "queued" | "running" {
  return status?.state === "running" ? "running" : "queued";
}
