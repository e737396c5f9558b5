import { describe, expect, test } from "bun:test";
import type { JobResult } from "../../../src/queue/types.ts";
import type { ClaudeOutcome } from "../../../src/queue/outcome.ts";
import { EscalateOutputSchema, finalReport, noWorkerReport, pendingReport, waitSecondsFor } from "../../../src/mcp/results/escalate.ts";

const SID = "11111111-2222-4333-8444-555555555555";
const outcome = (over: Partial<ClaudeOutcome> = {}): ClaudeOutcome => ({
  classification: "success", message: "Claude finished successfully.", result: "the answer", session_id: SID, total_cost_usd: 0.0123,
  num_turns: 2, duration_ms: 100, permission_denials: [], is_error: false, subtype: "success", exit_code: 0, api_error_status: null, ...over,
});
const result = (over: Partial<JobResult> = {}): JobResult => ({
  id: "job-1", kind: "claude", state: "done", outcome: outcome(), finishedAt: "2026-01-01T00:00:00.000Z", ...over,
});

describe("finalReport", () => {
  test("success: the answer first, session and cost in the text, not an error", () => {
    const r = finalReport(result(), 100_000);
    expect(r.isError).toBe(false);
    expect(r.structured).toMatchObject({ job_id: "job-1", state: "done", finished: true, session_id: SID, error: null });
    expect(r.text).toContain("the answer");
    expect(r.text).toContain(SID);
    expect(r.text).toContain("$0.0123");
    expect(r.structured.next).toContain(`session_id="${SID}"`);
  });

  test("a failed job is an error and lists refused tool calls", () => {
    const o = outcome({ classification: "permission_denied", message: "1 tool call(s) were refused (Bash)", is_error: false, permission_denials: [{ tool_name: "Bash", tool_input: { command: "rm -rf x" } }] });
    const r = finalReport(result({ state: "failed", outcome: o, error: { code: "CLAUDE_FAILED", message: o.message, hint: "ask for more" } }), 100_000);
    expect(r.isError).toBe(true);
    expect(r.text).toContain("permission_denied");
    expect(r.text).toContain("Bash {\"command\":\"rm -rf x\"}");
    expect(r.text).toContain("→ ask for more");
    expect(r.structured.next).toBe("ask for more");
  });

  test("done but not a success classification is still an error (never report failure as success)", () => {
    expect(finalReport(result({ outcome: outcome({ classification: "permission_denied" }) }), 1000).isError).toBe(true);
  });

  test("an interrupted job's partial outcome still yields the session id", () => {
    const r = finalReport(result({ state: "interrupted", outcome: { session_id: SID }, error: { code: "JOB_INTERRUPTED", message: "worker stopped" } }), 1000);
    expect(r.structured).toMatchObject({ state: "interrupted", session_id: SID, outcome: null, error: { code: "JOB_INTERRUPTED" } });
    expect(r.isError).toBe(true);
  });

  test("unknown keys in a stored outcome are dropped (the client rejects extra keys)", () => {
    const r = finalReport(result({ outcome: { ...outcome(), extra: "x", token: "secret" } }), 1000);
    expect(EscalateOutputSchema.parse(r.structured)).toEqual(r.structured);
    expect(JSON.stringify(r.structured)).not.toContain("secret");
  });

  test("a malformed outcome becomes null, not a crash", () => {
    const r = finalReport(result({ state: "failed", outcome: "garbage", error: { code: "INTERNAL", message: "boom" } }), 1000);
    expect(r.structured.outcome).toBeNull();
    expect(r.text).toContain("boom");
  });

  test("the text block is bounded", () => {
    const r = finalReport(result({ outcome: outcome({ result: "x".repeat(5000) }) }), 1000);
    expect(r.text.length).toBeLessThan(1200);
    expect(r.text).toContain("more characters");
  });
});

test("pendingReport points to get_job; a note (worker gone) replaces the default", () => {
  const r = pendingReport("job-2", "running", 45.2);
  expect(r.isError).toBe(false);
  expect(r.structured).toMatchObject({ job_id: "job-2", state: "running", finished: false, outcome: null });
  expect(r.text).toContain("45 s");
  expect(r.structured.next).toContain("get_job");
  expect(pendingReport("job-2", "queued", 1, "No bridge worker is running").structured.next).toBe("No bridge worker is running");
});

test("noWorkerReport", () => {
  const r = noWorkerReport("No bridge worker is running.", "BRIDGE_ROOT=/x bridge worker");
  expect(r.isError).toBe(true);
  expect(r.structured).toMatchObject({ job_id: null, state: "no_worker", error: { code: "WORKER_OFFLINE" } });
  expect(r.structured.next).toContain("BRIDGE_ROOT=/x bridge worker");
});

test("waitSecondsFor", () => {
  expect(waitSecondsFor(undefined, false)).toBe(45);
  expect(waitSecondsFor(undefined, true)).toBe(600);
  expect(waitSecondsFor(0, true)).toBe(0);
  expect(waitSecondsFor(99_999, false)).toBe(3600);
  expect(waitSecondsFor(-5, false)).toBe(0);
});
