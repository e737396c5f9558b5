import { describe, expect, test } from "bun:test";
import { ClaudeOutcomeSchema } from "../../../src/queue/outcome.ts";
import { MAX_DENIAL_INPUT_CHARS, classifyRun, type RunFacts } from "../../../src/worker/claude/outcome.ts";
import type { StreamResult, StreamState } from "../../../src/worker/claude/stream.ts";

const SID = "11111111-2222-4333-8444-555555555555";
const ok: StreamResult = {
  type: "result",
  subtype: "success",
  is_error: false,
  result: "done",
  session_id: SID,
  total_cost_usd: 0.001,
  num_turns: 1,
  duration_ms: 90,
  permission_denials: [],
  terminal_reason: "completed",
  api_error_status: null,
};

function facts(
  over: Partial<RunFacts> = {},
  result?: StreamResult | null,
  stream: Partial<StreamState> = {},
): RunFacts {
  return {
    exitCode: 0,
    signal: null,
    timedOut: false,
    cancelled: false,
    timeoutMs: 30_000,
    stderrTail: "",
    wallMs: 123,
    bin: "claude",
    stream: {
      sessionId: SID,
      deniedTools: [],
      invalidLines: 0,
      ...(result === null ? {} : { result: result ?? ok }),
      ...stream,
    },
    ...over,
  };
}

function classify(f: RunFacts) {
  const c = classifyRun(f);
  expect(ClaudeOutcomeSchema.strict().parse(c.outcome)).toEqual(c.outcome);
  expect(c.ok).toBe(c.outcome.classification === "success");
  if (!c.ok) expect(c.error?.message).toBe(c.outcome.message);
  return c;
}

describe("classifyRun", () => {
  test("success only with exit 0, no is_error, no denials", () => {
    const c = classify(facts());
    expect(c.outcome).toMatchObject({
      classification: "success",
      result: "done",
      session_id: SID,
      total_cost_usd: 0.001,
      num_turns: 1,
      duration_ms: 90,
      is_error: false,
      subtype: "success",
      exit_code: 0,
    });
    expect(c.error).toBeUndefined();
  });

  test("exit 0 with subtype success but denials → permission_denied, denials listed", () => {
    const denied = {
      ...ok,
      permission_denials: [{ tool_name: "Bash", tool_use_id: "t1", tool_input: { command: "touch x" } }],
    };
    const c = classify(facts({}, denied));
    expect(c.outcome.classification).toBe("permission_denied");
    expect(c.outcome.permission_denials).toEqual([
      { tool_name: "Bash", tool_use_id: "t1", tool_input: { command: "touch x" } },
    ]);
    expect(c.outcome.message).toContain("Bash");
  });

  test("huge denied tool input is bounded", () => {
    const denied = {
      ...ok,
      permission_denials: [{ tool_name: "Write", tool_input: { content: "x".repeat(100_000) } }, "junk", null],
    };
    const c = classify(facts({}, denied as StreamResult));
    expect(c.outcome.permission_denials).toHaveLength(1);
    expect(JSON.stringify(c.outcome.permission_denials[0]!.tool_input).length).toBeLessThan(
      MAX_DENIAL_INPUT_CHARS + 50,
    );
  });

  test("not logged in", () => {
    const r = { ...ok, is_error: true, result: "Not logged in · Please run /login", terminal_reason: "api_error" };
    expect(classify(facts({ exitCode: 1 }, r)).outcome.classification).toBe("not_logged_in");
    expect(classify(facts({ exitCode: 1, stderrTail: "Error: Not logged in" }, null)).outcome.classification).toBe(
      "not_logged_in",
    );
  });

  test("API error reported by the CLI", () => {
    const r = {
      ...ok,
      is_error: true,
      result: "API Error: 400 bad",
      terminal_reason: "api_error",
      api_error_status: 400,
    };
    const c = classify(facts({ exitCode: 1 }, r));
    expect(c.outcome).toMatchObject({ classification: "api_error", api_error_status: 400 });
  });

  test("timeout while the CLI was retrying an API error → api_error, saying so", () => {
    const c = classify(
      facts({ timedOut: true, exitCode: null, signal: "SIGTERM", timeoutMs: 20_000 }, null, {
        lastApiRetry: { attempt: 3, max_retries: 10, error_status: 500, error: "server_error" },
      }),
    );
    expect(c.outcome.classification).toBe("api_error");
    expect(c.outcome.api_error_status).toBe(500);
    expect(c.outcome.message).toMatch(/retrying.*500.*20s timeout/);
    expect(c.outcome.session_id).toBe(SID);
  });

  test("plain timeout", () => {
    const c = classify(facts({ timedOut: true, exitCode: null, signal: "SIGTERM" }, null));
    expect(c.outcome.classification).toBe("timeout");
    expect(c.error?.code).toBe("TIMEOUT");
    expect(c.outcome.message).toContain(SID);
  });

  test("cancelled wins over whatever the CLI printed", () => {
    const c = classify(facts({ cancelled: true, exitCode: 143 }, null));
    expect(c.outcome.classification).toBe("cancelled");
    expect(c.error?.code).toBe("CANCELLED");
  });

  test("aborted because the worker shuts down → interrupted, resumable", () => {
    const c = classify(facts({ cancelled: true, abortReason: "shutdown", exitCode: null, signal: "SIGTERM" }, null));
    expect(c.outcome.classification).toBe("interrupted");
    expect(c.outcome.message).toContain(SID);
  });

  test("max turns and budget", () => {
    expect(
      classify(facts({ exitCode: 1 }, { ...ok, subtype: "error_max_turns", is_error: true, result: null })).outcome
        .classification,
    ).toBe("max_turns");
    expect(
      classify(facts({ exitCode: 1 }, { ...ok, subtype: "error_max_budget_usd", is_error: true })).outcome
        .classification,
    ).toBe("budget");
  });

  test("CLI missing", () => {
    const c = classify(
      facts({ exitCode: null, spawnError: { code: "ENOENT", message: "spawn claude ENOENT" } }, null, {
        sessionId: undefined,
      }),
    );
    expect(c.outcome.classification).toBe("cli_missing");
    expect(c.error?.hint).toContain("BRIDGE_CLAUDE_BIN");
  });

  test("other CLI errors carry the CLI's errors[]", () => {
    const r = {
      ...ok,
      subtype: "error_during_execution",
      is_error: true,
      result: undefined,
      errors: ["No conversation found with session ID: x"],
    };
    const c = classify(facts({ exitCode: 1 }, r));
    expect(c.outcome.classification).toBe("cli_error");
    expect(c.outcome.message).toContain("No conversation found");
  });

  test("no result line → crashed, with stderr; exit 0 without result is not success", () => {
    const c = classify(facts({ exitCode: 1, stderrTail: "Error: unknown option '--bogus'\n" }, null));
    expect(c.outcome.classification).toBe("crashed");
    expect(c.outcome.message).toContain("unknown option");
    expect(classify(facts({ exitCode: 0 }, null)).outcome.classification).toBe("crashed");
    expect(classify(facts({ exitCode: null, signal: "SIGKILL" }, null)).outcome.message).toContain("SIGKILL");
  });

  test("a result followed by a CLI that had to be stopped counts by its result", () => {
    expect(
      classify(facts({ exitCode: null, signal: "SIGTERM", stoppedAfterResult: true })).outcome.classification,
    ).toBe("success");
  });

  test("a success result with a non-zero exit is not success", () => {
    expect(classify(facts({ exitCode: 2 })).outcome.classification).toBe("crashed");
  });

  test("hostile result fields do not leak into the outcome", () => {
    const r = {
      ...ok,
      total_cost_usd: "free" as unknown as number,
      num_turns: Number.NaN,
      session_id: SID,
      result: 42 as unknown as string,
    };
    const c = classify(facts({}, r));
    expect(c.outcome.total_cost_usd).toBeNull();
    expect(c.outcome.num_turns).toBeNull();
    expect(c.outcome.result).toBeNull();
  });
});
