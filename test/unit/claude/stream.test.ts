import { describe, expect, test } from "bun:test";
import type { ProgressEvent } from "../../../src/queue/types.ts";
import { MAX_LINE_CHARS, StreamParser, describeToolUse } from "../../../src/worker/claude/stream.ts";

const SID = "11111111-2222-4333-8444-555555555555";
// Shapes as printed by Claude Code 2.1.330 with --output-format stream-json --verbose (trimmed).
const INIT = {
  type: "system",
  subtype: "init",
  cwd: "/repo",
  session_id: SID,
  tools: ["Bash"],
  model: "claude-opus-5-5",
  permissionMode: "default",
};
const TOOL = {
  type: "assistant",
  message: {
    role: "assistant",
    content: [{ type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "touch x.txt" } }],
  },
  session_id: SID,
};
const DENIED = {
  type: "system",
  subtype: "permission_denied",
  tool_name: "Bash",
  tool_use_id: "toolu_1",
  message: "needs approval",
  session_id: SID,
};
const TOOL_RESULT = {
  type: "user",
  message: {
    role: "user",
    content: [{ type: "tool_result", content: "needs approval", is_error: true, tool_use_id: "toolu_1" }],
  },
};
const TEXT = {
  type: "assistant",
  message: { role: "assistant", content: [{ type: "text", text: "made it" }] },
  session_id: SID,
};
const RETRY = {
  type: "system",
  subtype: "api_retry",
  attempt: 2,
  max_retries: 10,
  retry_delay_ms: 1140,
  error_status: 500,
  error: "server_error",
  session_id: SID,
};
const RESULT = {
  type: "result",
  subtype: "success",
  is_error: false,
  result: "made it",
  session_id: SID,
  total_cost_usd: 0.00028,
  num_turns: 2,
  duration_ms: 120,
  permission_denials: [{ tool_name: "Bash", tool_use_id: "toolu_1", tool_input: { command: "touch x.txt" } }],
  terminal_reason: "completed",
  api_error_status: null,
};
const lines = (...msgs: unknown[]) => msgs.map((m) => JSON.stringify(m)).join("\n") + "\n";

function parse(text: string, chunk = text.length) {
  const events: ProgressEvent[] = [];
  const parser = new StreamParser((e) => events.push(e));
  for (let i = 0; i < text.length; i += chunk) parser.push(text.slice(i, i + chunk));
  return { state: parser.end(), events };
}

describe("StreamParser", () => {
  test("reads session, denials, result and makes short progress messages", () => {
    const { state, events } = parse(lines(INIT, TOOL, DENIED, TOOL_RESULT, TEXT, RESULT));
    expect(state.sessionId).toBe(SID);
    expect(state.model).toBe("claude-opus-5-5");
    expect(state.permissionMode).toBe("default");
    expect(state.result?.subtype).toBe("success");
    expect(state.deniedTools).toEqual([{ tool_name: "Bash", tool_use_id: "toolu_1" }]);
    expect(state.lastText).toBe("made it");
    expect(events.map((e) => e.message)).toEqual([
      "Claude Code started (model claude-opus-5-5, permission mode default)",
      "tool: Bash touch x.txt",
      "denied: Bash",
      "made it",
    ]);
  });

  test("the same result whatever the chunking (lines split across chunks)", () => {
    const text = lines(INIT, TOOL, TEXT, RESULT);
    const whole = parse(text);
    for (const size of [1, 7, 64]) {
      const split = parse(text, size);
      expect(split.state).toEqual(whole.state);
      expect(split.events).toEqual(whole.events);
    }
  });

  test("a last line without newline is read at end()", () => {
    const { state } = parse(lines(INIT) + JSON.stringify(RESULT));
    expect(state.result?.result).toBe("made it");
  });

  test("api_retry is kept and reported", () => {
    const { state, events } = parse(lines(INIT, RETRY));
    expect(state.lastApiRetry).toEqual({ attempt: 2, max_retries: 10, error_status: 500, error: "server_error" });
    expect(events[1]!.message).toBe("API error 500 (server_error), retry 2/10");
  });

  test("garbage, non-objects and odd shapes are counted, never thrown", () => {
    const text =
      "not json\n[1,2]\nnull\n\n" +
      lines(
        { type: "assistant", message: { content: "str" } },
        { type: "assistant", message: { content: [null, 5, { type: "tool_use" }] } },
        INIT,
      );
    const { state, events } = parse(text);
    expect(state.invalidLines).toBe(3);
    expect(state.sessionId).toBe(SID);
    expect(events).toHaveLength(1);
  });

  test("long text is clipped to 200 characters, whitespace flattened", () => {
    const long = { type: "assistant", message: { content: [{ type: "text", text: `a\n\n${"b".repeat(500)}` }] } };
    const { events } = parse(lines(long));
    expect(events[0]!.message.length).toBe(200);
    expect(events[0]!.message.startsWith("a b")).toBe(true);
    expect(events[0]!.message.endsWith("…")).toBe(true);
  });

  test("a runaway line longer than the cap is dropped without keeping it in memory", () => {
    const parser = new StreamParser();
    const big = "x".repeat(1024 * 1024);
    for (let i = 0; i <= MAX_LINE_CHARS / big.length; i++) parser.push(big);
    parser.push("tail\n" + lines(INIT));
    const state = parser.end();
    expect(state.invalidLines).toBe(1);
    expect(state.sessionId).toBe(SID);
  });
});

test("describeToolUse picks the telling argument", () => {
  expect(describeToolUse("Bash", { command: "ls -la", description: "list" })).toBe("Bash ls -la");
  expect(describeToolUse("Write", { file_path: "/r/a.txt", content: "big" })).toBe("Write /r/a.txt");
  expect(describeToolUse("Grep", { pattern: "foo" })).toBe("Grep foo");
  expect(describeToolUse("Custom", { a: 1 })).toBe('Custom {"a":1}');
  expect(describeToolUse("TodoWrite", undefined)).toBe("TodoWrite");
  expect(describeToolUse("Bash", { command: "x".repeat(1000) }).length).toBeLessThanOrEqual(194);
});
