/**
 * The Claude-specific part of the job view: the stored ClaudeOutcome cut down to what a caller
 * uses (the answer, the session to continue, cost, turns, why it failed, refused tool calls) and
 * the text block built from it. Pure.
 */
import { ClaudeOutcomeSchema } from "../../queue/outcome.ts";
import type { JobView } from "./job.ts";

/** What escalate_to_claude / get_job report of a Claude run; fields that carry nothing are left out. */
export interface CompactClaudeOutcome {
  classification: string;
  /** Claude's final answer. */
  result?: string;
  session_id?: string;
  /** Why it did not succeed (absent on success). */
  message?: string;
  total_cost_usd?: number;
  num_turns?: number;
  /** HTTP status of the Messages API error that ended the run. */
  api_error_status?: number;
  permission_denials?: Array<{ tool_name: string; tool_input?: unknown }>;
  /** Secrets the worker replaced by [REDACTED:kind]. */
  redacted?: { count: number; kinds: string[] };
}

/** The compact outcome; a stored outcome that does not parse keeps only its session id, if any. */
export function claudeOutcome(raw: unknown): CompactClaudeOutcome | undefined {
  const parsed = ClaudeOutcomeSchema.safeParse(raw);
  if (!parsed.success) {
    const sid = (raw as { session_id?: unknown } | null)?.session_id;
    return typeof sid === "string" ? { classification: "unknown", session_id: sid } : undefined;
  }
  const o = parsed.data;
  const out: CompactClaudeOutcome = { classification: o.classification };
  if (o.result !== null) out.result = o.result;
  if (o.session_id !== null) out.session_id = o.session_id;
  if (o.classification !== "success") out.message = o.message;
  // Rounded to a millionth of a dollar: the CLI reports binary-float sums such as 0.00014000000000000001.
  if (o.total_cost_usd !== null) out.total_cost_usd = Math.round(o.total_cost_usd * 1e6) / 1e6;
  if (o.num_turns !== null) out.num_turns = o.num_turns;
  if (o.api_error_status !== null) out.api_error_status = o.api_error_status;
  if (o.redacted) out.redacted = o.redacted;
  if (o.permission_denials.length)
    out.permission_denials = o.permission_denials.map((d) => ({ tool_name: d.tool_name, tool_input: d.tool_input }));
  return out;
}

/** The text block for a finished Claude job. */
export function claudeText(v: JobView): string {
  const o = v.outcome as CompactClaudeOutcome | undefined;
  const lines: string[] = [];
  const redactedNote = o?.redacted
    ? `(${o.redacted.count} secret${o.redacted.count === 1 ? "" : "s"} redacted by the worker: ${o.redacted.kinds.join(", ")})`
    : undefined;
  if (v.state === "done" && o?.classification === "success") {
    const cost = o.total_cost_usd === undefined ? "" : `, $${o.total_cost_usd.toFixed(4)}`;
    lines.push(
      `Claude finished (session ${o.session_id ?? "?"}, ${o.num_turns ?? "?"} turns${cost}).`,
      "",
      o.result ?? "(no text)",
    );
    if (redactedNote) lines.push(redactedNote);
    return lines.join("\n");
  }
  const what =
    o && o.classification !== "unknown"
      ? `${o.classification}: ${o.message ?? ""}`
      : `${v.state}: ${v.error?.message ?? "no details"}`;
  lines.push(`Job ${v.job_id} ${v.state} — ${what}`);
  if (v.error?.hint) lines.push(`→ ${v.error.hint}`);
  if (o?.permission_denials?.length) {
    lines.push("Refused tool calls:");
    for (const d of o.permission_denials.slice(0, 10))
      lines.push(`- ${d.tool_name} ${JSON.stringify(d.tool_input ?? {}).slice(0, 200)}`);
  }
  if (o?.result) lines.push("", o.result);
  if (redactedNote) lines.push(redactedNote);
  if (v.next) lines.push(v.next);
  return lines.join("\n");
}
