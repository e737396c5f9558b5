/**
 * The one job shape every job tool returns (run_script, escalate_to_claude, get_job, cancel_job):
 * a compact structured record — what Claude Code shows the model instead of the text — and a text
 * block for people, built from a job's status. Pure.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { JobBodies, JobError, JobKind, JobState, JobStatus, QueueClient } from "../../queue/types.ts";
import { claudeOutcome, claudeText, type CompactClaudeOutcome } from "./escalate.ts";

/** A job's state, or `no_worker` when nothing was queued because no worker is running. */
export type JobViewState = JobState | "no_worker";

/** The declared output shape: what a client can rely on (outcome is kind-specific). */
export const jobShape = {
  job_id: z.string().optional(),
  state: z.string(),
  outcome: z.record(z.string(), z.unknown()).optional(),
  error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }).optional(),
  next: z.string().optional(),
  reused: z.boolean().optional(),
};

export interface JobView {
  job_id?: string;
  state: JobViewState;
  /** script: exit_code, stdout, stderr (+ signal, timed_out, truncated when set); claude: see claudeOutcome. */
  outcome?: Record<string, unknown>;
  error?: JobError;
  next?: string;
  /** True when an idempotency_key matched an earlier call: this is that call's job, not a new run. */
  reused?: boolean;
}

/** A script outcome without its null/false/redundant fields. */
function scriptOutcome(raw: unknown): Record<string, unknown> | undefined {
  if (!raw || typeof raw !== "object") return undefined;
  const o = raw as Record<string, unknown>;
  if (!("exit_code" in o)) return undefined;
  const out: Record<string, unknown> = {
    exit_code: o.exit_code ?? null,
    stdout: o.stdout ?? "",
    stderr: o.stderr ?? "",
  };
  if (o.signal) out.signal = o.signal;
  if (o.timed_out) out.timed_out = true;
  if (o.truncated) out.truncated = true;
  if (typeof o.note === "string") out.note = o.note;
  if (o.redacted) out.redacted = o.redacted;
  return out;
}

const pendingNext = (id: string) =>
  `Call get_job with job_id "${id}" to wait for the result, or cancel_job to stop it.`;

/** The view of a status; `note` explains an early end of a wait (worker gone, deadline). */
export function jobView(s: JobStatus, note?: string): JobView {
  const r = s.result;
  const view: JobView = { job_id: s.id, state: s.state };
  if (r) {
    const outcome = s.kind === "claude" ? claudeOutcome(r.outcome) : scriptOutcome(r.outcome);
    if (outcome) view.outcome = outcome as Record<string, unknown>;
    if (r.error)
      view.error = { code: r.error.code, message: r.error.message, ...(r.error.hint ? { hint: r.error.hint } : {}) };
  }
  const sessionId = (view.outcome as CompactClaudeOutcome | undefined)?.session_id;
  const next =
    note ??
    (!r ? pendingNext(s.id) : undefined) ??
    (s.kind === "claude" && sessionId ? `Continue with escalate_to_claude(session_id="${sessionId}").` : undefined);
  if (next) view.next = next;
  return view;
}

/** The view when nothing was queued because no worker is alive. */
export function noWorkerView(note: string, startCommand: string): JobView {
  const hint = `On the host, run: ${startCommand}   (or once: bridge worker --install-service)`;
  return { state: "no_worker", error: { code: "WORKER_OFFLINE", message: note, hint } };
}

/** True when the job ended without success (what `isError` reports). */
export function jobFailed(v: JobView): boolean {
  if (v.state === "failed" || v.state === "rejected" || v.state === "interrupted" || v.state === "no_worker")
    return true;
  const classification = (v.outcome as CompactClaudeOutcome | undefined)?.classification;
  return v.state === "done" && classification !== undefined && classification !== "success";
}

/**
 * The fewest characters the text block of a finished Claude job keeps, whatever `maxText`
 * (MCP_BRIDGE_MAX_OUTPUT, 24 KiB by default, sized for run_python's head + note + tail): Claude's
 * final answer is the deliverable of a paid run, read from the top, and a client that shows only
 * text has no other way to it (get_job returns the same text). The worker caps it at 200,000.
 */
export const CLAUDE_TEXT_MIN = 100 * 1024;

/** The text block: for Claude its answer (or why not), for scripts exit code and output; plus error and next step. */
export function jobText(v: JobView, s: Pick<JobStatus, "kind" | "summary"> | undefined, maxText: number): string {
  if (s?.kind === "claude" && v.outcome) maxText = Math.max(maxText, CLAUDE_TEXT_MIN);
  if (v.reused)
    return clip(
      `idempotency_key matched an earlier call: this is job ${v.job_id}, not run again.\n${jobText({ ...v, reused: undefined }, s, maxText)}`,
      maxText,
    );
  if (v.state === "no_worker") return `Nothing was queued. ${v.error?.message ?? ""}\n→ ${v.error?.hint ?? ""}`.trim();
  if (s?.kind === "claude" && v.outcome) return clip(claudeText(v), maxText);
  const lines = [`Job ${v.job_id}${s ? ` (${s.kind}: ${s.summary})` : ""}: ${v.state}`];
  if (v.error) lines.push(`Error ${v.error.code}: ${v.error.message}${v.error.hint ? `\n→ ${v.error.hint}` : ""}`);
  const o = v.outcome;
  if (o && "exit_code" in o) {
    lines.push(
      `exit code: ${o.exit_code ?? `none (signal ${o.signal})`}${o.timed_out ? " (timed out)" : ""}${o.truncated ? " (output truncated)" : ""}`,
    );
    if (o.stdout) lines.push(`stdout:\n${o.stdout}`);
    if (o.stderr) lines.push(`stderr:\n${o.stderr}`);
    if (o.note) lines.push(`note: ${o.note}`);
  }
  if (v.next) lines.push(v.next);
  return clip(lines.join("\n"), maxText);
}

const clip = (text: string, max: number): string =>
  text.length <= max
    ? text
    : `${text.slice(0, max)}\n[… ${text.length - max} more characters; see structuredContent or get_job]`;

/** The tool result for a job view. */
export function jobResult(
  v: JobView,
  s: Pick<JobStatus, "kind" | "summary"> | undefined,
  maxText: number,
): CallToolResult {
  return {
    content: [{ type: "text", text: jobText(v, s, maxText) }],
    structuredContent: { ...v },
    isError: jobFailed(v),
  };
}

/** The result for a job id the queue does not know. */
export function jobNotFound(id: string): CallToolResult {
  return {
    content: [
      {
        type: "text",
        text: `No job with id "${id}" in this queue (it may be older than the retention period). Call get_job without job_id to list known jobs.`,
      },
    ],
    isError: true,
  };
}

/** The shared submit of run_script and escalate_to_claude: with an idempotency key, an earlier call's job is reused. */
export async function submitWithKey<K extends JobKind>(
  q: QueueClient,
  kind: K,
  body: JobBodies[K],
  key: string | undefined,
): Promise<{ id: string; reused: boolean }> {
  if (key === undefined) return { id: (await q.submit(kind, body)).id, reused: false };
  return q.submitOnce(kind, body, key);
}
