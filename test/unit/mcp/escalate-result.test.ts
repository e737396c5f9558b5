/** The job view of Claude jobs: compact outcome, honest isError, bounded text. */
import { describe, expect, test } from "bun:test";
import { CLAUDE_TEXT_MIN, jobFailed, jobResult, jobText, jobView, noWorkerView } from "../../../src/mcp/results/job.ts";
import type { ClaudeOutcome } from "../../../src/queue/outcome.ts";
import type { JobResult, JobStatus } from "../../../src/queue/types.ts";

const SID = "11111111-2222-4333-8444-555555555555";
const outcome = (over: Partial<ClaudeOutcome> = {}): ClaudeOutcome => ({
  classification: "success",
  message: "Claude finished successfully.",
  result: "the answer",
  session_id: SID,
  total_cost_usd: 0.0123,
  num_turns: 2,
  duration_ms: 100,
  permission_denials: [],
  is_error: false,
  subtype: "success",
  exit_code: 0,
  api_error_status: null,
  ...over,
});
const status = (over: Partial<JobResult> = {}): JobStatus => {
  const result: JobResult = {
    id: "job-1",
    kind: "claude",
    state: "done",
    outcome: outcome(),
    finishedAt: "2026-01-01T00:00:00.000Z",
    ...over,
  };
  return {
    id: "job-1",
    kind: "claude",
    state: result.state,
    createdAt: "2026-01-01T00:00:00.000Z",
    summary: "fix it",
    result,
  };
};

describe("Claude job view", () => {
  test("success: compact outcome (no nulls, no CLI internals), the answer first in the text, not an error", () => {
    const s = status();
    const v = jobView(s);
    expect(v).toEqual({
      job_id: "job-1",
      state: "done",
      outcome: {
        classification: "success",
        result: "the answer",
        session_id: SID,
        total_cost_usd: 0.0123,
        num_turns: 2,
      },
      next: `Continue with escalate_to_claude(session_id="${SID}").`,
    });
    expect(jobFailed(v)).toBe(false);
    const text = jobText(v, s, 100_000);
    expect(text.indexOf(SID)).toBeLessThan(text.indexOf("the answer"));
    expect(text).toContain("$0.0123");
  });

  test("the cost is rounded to a millionth of a dollar (the CLI reports float sums)", () => {
    const v = jobView(status({ outcome: outcome({ total_cost_usd: 0.00014000000000000001 + 0.0000000004 }) }));
    expect((v.outcome as { total_cost_usd: number }).total_cost_usd).toBe(0.00014);
  });

  test("a failed job is an error and lists refused tool calls", () => {
    const o = outcome({
      classification: "permission_denied",
      message: "1 tool call(s) were refused (Bash)",
      permission_denials: [{ tool_name: "Bash", tool_input: { command: "rm -rf x" } }],
    });
    const s = status({
      state: "failed",
      outcome: o,
      error: { code: "CLAUDE_FAILED", message: o.message, hint: "ask for more" },
    });
    const v = jobView(s);
    expect(jobFailed(v)).toBe(true);
    expect(v.outcome).toMatchObject({
      classification: "permission_denied",
      message: o.message,
      permission_denials: [{ tool_name: "Bash" }],
    });
    const text = jobText(v, s, 100_000);
    for (const part of ["permission_denied", 'Bash {"command":"rm -rf x"}', "→ ask for more"])
      expect(text).toContain(part);
  });

  test("done but not a success classification is still an error (never report failure as success)", () => {
    expect(jobFailed(jobView(status({ outcome: outcome({ classification: "permission_denied" }) })))).toBe(true);
  });

  test("an interrupted job's partial outcome still yields the session id; a malformed one is dropped, not a crash", () => {
    const v = jobView(
      status({
        state: "interrupted",
        outcome: { session_id: SID },
        error: { code: "JOB_INTERRUPTED", message: "worker stopped" },
      }),
    );
    expect(v).toMatchObject({ state: "interrupted", outcome: { session_id: SID }, error: { code: "JOB_INTERRUPTED" } });
    expect(jobFailed(v)).toBe(true);
    const bad = status({ state: "failed", outcome: "garbage", error: { code: "INTERNAL", message: "boom" } });
    expect(jobView(bad).outcome).toBeUndefined();
    expect(jobText(jobView(bad), bad, 1000)).toContain("boom");
  });

  test("unknown keys in a stored outcome never reach the caller", () => {
    const v = jobView(status({ outcome: { ...outcome(), extra: "x", token: "secret" } }));
    expect(JSON.stringify(v)).not.toContain("secret");
  });

  test("the text block is bounded; a pending job points to get_job; no worker is an error naming the command", () => {
    // Claude's answer keeps at least CLAUDE_TEXT_MIN characters whatever MCP_BRIDGE_MAX_OUTPUT (the deliverable of a paid run).
    const answer = status({ outcome: outcome({ result: "x".repeat(50_000) }) });
    expect(jobText(jobView(answer), answer, 24 * 1024)).toContain("x".repeat(50_000));
    const big = status({ outcome: outcome({ result: "x".repeat(CLAUDE_TEXT_MIN + 5000) }) });
    const text = jobText(jobView(big), big, 1000);
    expect(text.length).toBeLessThan(CLAUDE_TEXT_MIN + 200);
    expect(text).toContain("more characters");
    const pending: JobStatus = { id: "job-2", kind: "claude", state: "running", createdAt: "t", summary: "s" };
    expect(jobView(pending).next).toContain("get_job");
    expect(jobView(pending, "No bridge worker is running").next).toBe("No bridge worker is running");
    const none = jobResult(
      noWorkerView("No bridge worker is running.", "BRIDGE_ROOT=/x bridge worker"),
      undefined,
      1000,
    );
    expect(none.isError).toBe(true);
    expect(none.structuredContent).toMatchObject({ state: "no_worker", error: { code: "WORKER_OFFLINE" } });
    expect(JSON.stringify(none.structuredContent)).toContain("BRIDGE_ROOT=/x bridge worker");
    expect(none.content).toEqual([{ type: "text", text: expect.stringContaining("BRIDGE_ROOT=/x bridge worker") }]);
  });
});
