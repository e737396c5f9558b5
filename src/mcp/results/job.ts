/**
 * The job view every job tool returns (get_job, cancel_job, run_script): one structured record
 * (the outputSchema) and a text block for people, built from a job's status. Pure.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { JobStatus } from "../../queue/types.ts";
import { JOB_STATES } from "../../queue/types.ts";

/** Structured view of a job (snake_case), the outputSchema of get_job / cancel_job / run_script. */
export const jobViewShape = {
  job_id: z.string(),
  kind: z.enum(["claude", "script"]),
  state: z.enum(JOB_STATES as [string, ...string[]]),
  summary: z.string(),
  created_at: z.string(),
  started_at: z.string().optional(),
  finished_at: z.string().optional(),
  outcome: z.unknown().optional().describe("kind-specific result (script: exit_code, stdout, stderr …)"),
  error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }).optional(),
  note: z.string().optional(),
};
export const JobViewSchema = z.object(jobViewShape);
export type JobView = z.infer<typeof JobViewSchema>;

/** The structured view of a status (parsed, so it carries exactly the schema's keys). */
export function jobView(s: JobStatus, note?: string): JobView {
  const r = s.result;
  return JobViewSchema.parse({
    job_id: s.id,
    kind: s.kind,
    state: s.state,
    summary: s.summary,
    created_at: s.createdAt,
    started_at: r?.startedAt,
    finished_at: r?.finishedAt,
    outcome: r ? r.outcome ?? undefined : undefined,
    error: r?.error,
    note,
  });
}

/** True when the job ended without success (what `isError` reports). */
export function jobFailed(v: JobView): boolean {
  return v.state === "failed" || v.state === "rejected" || v.state === "interrupted";
}

/** The text block: state line, error with hint, the outcome in readable form, and the note. */
export function jobText(v: JobView): string {
  const lines = [`Job ${v.job_id} (${v.kind}: ${v.summary}): ${v.state}`];
  if (v.error) lines.push(`Error ${v.error.code}: ${v.error.message}${v.error.hint ? `\n→ ${v.error.hint}` : ""}`);
  const o = v.outcome as Record<string, unknown> | undefined;
  if (o && v.kind === "script" && "exit_code" in o) {
    lines.push(`exit code: ${o.exit_code ?? `none (signal ${o.signal})`}${o.timed_out ? " (timed out)" : ""}${o.truncated ? " (output truncated)" : ""}`);
    if (o.stdout) lines.push(`stdout:\n${o.stdout}`);
    if (o.stderr) lines.push(`stderr:\n${o.stderr}`);
  } else if (o !== undefined && o !== null) {
    lines.push(JSON.stringify(o, null, 1));
  }
  if (v.note) lines.push(v.note);
  return lines.join("\n");
}

/** The result for a job id the queue does not know. */
export function jobNotFound(id: string): CallToolResult {
  return {
    content: [{ type: "text", text: `No job with id "${id}" in this queue (it may be older than the retention period). Call list_jobs to see known jobs.` }],
    isError: true,
  };
}
