/**
 * Turns what happened to one `claude -p` run into an honest outcome. Success requires exit code 0,
 * `is_error` false and no permission denials; everything else is classified so callers see why
 * (a refused tool use is not success, an API error is not a timeout, "not logged in" is said as such).
 */
import { type ClaudeOutcome, type Classification, type PermissionDenial } from "../../queue/outcome.ts";
import type { JobError } from "../../queue/types.ts";
import type { StreamState } from "./stream.ts";

/** Longest result text kept in an outcome (the rest is cut with a note). */
export const MAX_RESULT_CHARS = 200_000;
/** Longest JSON of one denied tool call's input kept in an outcome. */
export const MAX_DENIAL_INPUT_CHARS = 2_000;

/** Everything known about a finished (or stopped) run. */
export interface RunFacts {
  exitCode: number | null;
  /** Processes the CLI left running when it exited (then stopped), where the tracking mode counts them. */
  leftovers?: number;
  signal: string | null;
  /** Set when the CLI could not be started at all (ENOENT, EACCES …). */
  spawnError?: { code?: string; message: string };
  timedOut: boolean;
  cancelled: boolean;
  /** The CLI printed its result but did not exit in time, so the runner stopped it. */
  stoppedAfterResult?: boolean;
  /** The abort signal's reason when cancelled ("shutdown" when the worker is stopping). */
  abortReason?: unknown;
  timeoutMs: number;
  stream: StreamState;
  /** Last part of the CLI's stderr. */
  stderrTail: string;
  /** Wall-clock duration measured by the runner. */
  wallMs: number;
  /** The CLI binary that was run (for messages). */
  bin: string;
}

export interface Classified {
  ok: boolean;
  outcome: ClaudeOutcome;
  error?: JobError;
}

const NOT_LOGGED_IN = /not logged in|please run \/login|run `?claude (auth )?login/i;

/** The message of a successful run. */
export const SUCCESS_MESSAGE = "Claude finished successfully.";

/** Claude's result text as the outcome carries it (cut past MAX_RESULT_CHARS, with a note). Pure. */
export function clipResult(text: string | null | undefined): string | null {
  if (typeof text !== "string") return null;
  if (text.length <= MAX_RESULT_CHARS) return text;
  return `${text.slice(0, MAX_RESULT_CHARS)}\n[… ${text.length - MAX_RESULT_CHARS} more characters cut by bridge]`;
}

/** Normalizes the CLI's permission_denials (untrusted JSON) into bounded records. */
export function normalizeDenials(raw: unknown[] | undefined, seen: StreamState["deniedTools"]): PermissionDenial[] {
  const list = Array.isArray(raw) ? raw : seen;
  const out: PermissionDenial[] = [];
  for (const d of list.slice(0, 100)) {
    if (!d || typeof d !== "object") continue;
    const rec = d as Record<string, unknown>;
    const denial: PermissionDenial = { tool_name: typeof rec.tool_name === "string" ? rec.tool_name : "?" };
    if (typeof rec.tool_use_id === "string") denial.tool_use_id = rec.tool_use_id;
    if (rec.tool_input !== undefined) {
      const json = JSON.stringify(rec.tool_input) ?? "";
      denial.tool_input =
        json.length <= MAX_DENIAL_INPUT_CHARS ? rec.tool_input : { truncated: json.slice(0, MAX_DENIAL_INPUT_CHARS) };
    }
    out.push(denial);
  }
  return out;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** Classifies a run. Pure. */
export function classifyRun(f: RunFacts): Classified {
  const r = f.stream.result;
  const denials = normalizeDenials(r?.permission_denials, f.stream.deniedTools);
  const base = {
    result: clipResult(r?.result ?? (r ? null : f.stream.lastText)),
    session_id: f.stream.sessionId ?? r?.session_id ?? null,
    total_cost_usd: num(r?.total_cost_usd),
    num_turns: num(r?.num_turns),
    duration_ms: num(r?.duration_ms) ?? Math.round(f.wallMs),
    permission_denials: denials,
    is_error: r ? r.is_error === true : true,
    subtype: typeof r?.subtype === "string" ? r.subtype : null,
    exit_code: f.exitCode,
    api_error_status: num(r?.api_error_status) ?? null,
  };
  const fail = (
    classification: Classification,
    message: string,
    hint?: string,
    code = "CLAUDE_FAILED",
  ): Classified => ({
    ok: false,
    outcome: { classification, message, ...base },
    error: { code, message, ...(hint ? { hint } : {}) },
  });
  const resume = base.session_id ? ` Session ${base.session_id} can be resumed with session_id.` : "";
  const stderrLine = f.stderrTail.trim().split("\n").filter(Boolean).slice(-3).join(" | ").slice(0, 500);

  if (f.spawnError) {
    return fail(
      "cli_missing",
      `Claude Code CLI could not be started (${f.bin}): ${f.spawnError.message}`,
      "Install Claude Code (npm i -g @anthropic-ai/claude-code) or set BRIDGE_CLAUDE_BIN to its path, then restart the worker.",
    );
  }
  if (f.cancelled && f.abortReason === "shutdown") {
    return fail(
      "interrupted",
      `The worker shut down and stopped the Claude run before it finished.${resume}`,
      "Submit it again (with session_id to resume) once a worker runs.",
      "JOB_INTERRUPTED",
    );
  }
  if (f.cancelled) return fail("cancelled", `The Claude run was cancelled.${resume}`, undefined, "CANCELLED");
  if (f.timedOut) {
    const seconds = Math.round(f.timeoutMs / 1000);
    const retry = f.stream.lastApiRetry;
    if (retry && !r) {
      base.api_error_status = retry.error_status ?? null;
      return fail(
        "api_error",
        `Claude Code was still retrying a failed API call (HTTP ${retry.error_status ?? "?"}${retry.error ? `, ${retry.error}` : ""}, attempt ${retry.attempt ?? "?"}/${retry.max_retries ?? "?"}) when the worker's ${seconds}s timeout stopped it.${resume}`,
        "Check the Anthropic API status and the user's login, then retry.",
      );
    }
    return fail(
      "timeout",
      `The Claude run did not finish within the worker's ${seconds}s timeout and was stopped.${resume}`,
      "Resume the session with a narrower request, or restart the worker with a longer --timeout.",
      "TIMEOUT",
    );
  }
  if (r) {
    const text = typeof r.result === "string" ? r.result : "";
    if (r.is_error && NOT_LOGGED_IN.test(text)) {
      return fail(
        "not_logged_in",
        `Claude Code is not logged in on the worker's machine: ${text.slice(0, 200)}`,
        "On that machine run `claude` once and log in (/login), then retry.",
      );
    }
    if (r.subtype === "error_max_turns") {
      return fail(
        "max_turns",
        `Claude stopped after reaching the maximum number of turns (${base.num_turns ?? "?"}).${resume}`,
        "Resume the session to continue, or allow more turns (max_turns, up to the worker's BRIDGE_CLAUDE_MAX_TURNS).",
      );
    }
    if (r.subtype === "error_max_budget_usd") {
      return fail(
        "budget",
        `Claude stopped after reaching the worker's cost budget (spent $${base.total_cost_usd ?? "?"}).${resume}`,
        "Resume the session to continue, or have the user raise BRIDGE_CLAUDE_MAX_BUDGET_USD for the worker.",
      );
    }
    if (r.terminal_reason === "api_error" || base.api_error_status !== null) {
      return fail(
        "api_error",
        `The Anthropic API call failed${base.api_error_status ? ` (HTTP ${base.api_error_status})` : ""}: ${text.slice(0, 300)}`,
        base.api_error_status === 401
          ? "The API rejected the credentials: log in again with `claude` (/login) on the worker's machine."
          : "Retry later; if it persists, check the API status.",
      );
    }
    if (r.is_error) {
      const errors = Array.isArray(r.errors) ? r.errors.filter((e) => typeof e === "string").join("; ") : "";
      return fail(
        "cli_error",
        `Claude Code reported an error (${base.subtype ?? "unknown"}): ${(errors || text || stderrLine || "no details").slice(0, 500)}`,
      );
    }
    if (f.exitCode !== 0 && !f.stoppedAfterResult) {
      return fail(
        "crashed",
        `Claude Code printed a result but exited with ${f.exitCode ?? f.signal}: ${stderrLine || "no details"}`,
      );
    }
    if (denials.length > 0) {
      const tools = [...new Set(denials.map((d) => d.tool_name))].join(", ");
      return fail(
        "permission_denied",
        `Claude finished, but ${denials.length} tool call(s) were refused (${tools}), so the work may be incomplete.${resume}`,
        "Ask for a higher permission_mode (up to the worker's --permission-mode ceiling), or have the user pre-allow these tools for the worker (BRIDGE_CLAUDE_ALLOWED_TOOLS).",
      );
    }
    return { ok: true, outcome: { classification: "success", message: SUCCESS_MESSAGE, ...base } };
  }
  if (NOT_LOGGED_IN.test(f.stderrTail)) {
    return fail(
      "not_logged_in",
      `Claude Code is not logged in on the worker's machine: ${stderrLine}`,
      "On that machine run `claude` once and log in (/login), then retry.",
    );
  }
  const how = f.signal ? `was killed by ${f.signal}` : `exited with code ${f.exitCode}`;
  return fail(
    "crashed",
    `Claude Code ${how} without a result: ${stderrLine || "no output on stderr"}`,
    "Run `bridge doctor` on the worker's machine, or run `claude -p` there by hand to see the problem.",
  );
}
