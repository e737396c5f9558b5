import { describe, expect, test } from "bun:test";
import {
  buildClaudeArgs,
  buildClaudeEnv,
  checkModel,
  checkSessionId,
  effectiveMaxTurns,
} from "../../../src/worker/claude/command.ts";
import { parseAuthStatus } from "../../../src/worker/claude/preflight.ts";

const SID = "11111111-2222-4333-8444-555555555555";
const spec = { permissionMode: "default" as const, sessionId: SID, allowedTools: [], disallowedTools: [] };

describe("buildClaudeArgs", () => {
  test("new session: -p, stream-json, verbose, pre-assigned session id; no prompt in argv", () => {
    expect(buildClaudeArgs(spec)).toEqual([
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
      "--permission-mode=default",
      "--setting-sources=user",
      `--session-id=${SID}`,
    ]);
  });

  test("resume uses the equals form and no --session-id", () => {
    const args = buildClaudeArgs({ ...spec, resume: SID });
    expect(args).toContain(`--resume=${SID}`);
    expect(args.some((a) => a.startsWith("--session-id"))).toBe(false);
  });

  test("limits and tools", () => {
    const args = buildClaudeArgs({
      ...spec,
      permissionMode: "acceptEdits",
      model: "sonnet",
      maxTurns: 3,
      maxBudgetUsd: 0.5,
      allowedTools: ["Bash(git diff:*)", "Edit"],
      disallowedTools: ["WebFetch"],
    });
    expect(args).toEqual([
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
      "--permission-mode=acceptEdits",
      "--setting-sources=user",
      `--session-id=${SID}`,
      "--model=sonnet",
      "--max-turns=3",
      "--max-budget-usd=0.5",
      "--allowedTools=Bash(git diff:*),Edit",
      "--disallowedTools=WebFetch",
    ]);
  });

  test("project settings are loaded only when the worker trusts the job's directory", () => {
    expect(buildClaudeArgs(spec)).toContain("--setting-sources=user");
    expect(buildClaudeArgs({ ...spec, projectSettings: true }).some((a) => a.startsWith("--setting-sources"))).toBe(
      false,
    );
  });

  test("every argument after -p is a --flag (nothing positional to mistake for a prompt)", () => {
    for (const a of buildClaudeArgs({
      ...spec,
      model: "opus",
      maxTurns: 1,
      allowedTools: ["Bash"],
      disallowedTools: ["Write"],
    }).slice(1)) {
      expect(a === "stream-json" || a.startsWith("--")).toBe(true);
    }
  });
});

describe("job values are validated (hostile input)", () => {
  test("session id must be a UUID", () => {
    expect(checkSessionId(SID.toUpperCase())).toBe(SID);
    for (const bad of ["--dangerously-skip-permissions", `${SID} --x`, `${SID}\n`, "../../etc/passwd", "", 5]) {
      expect(() => checkSessionId(bad)).toThrow(/session UUID/);
    }
  });

  test("model names", () => {
    for (const good of ["sonnet", "opus", "claude-sonnet-4-5-20250929", "opus[1m]", "us.anthropic.claude-3:0"])
      expect(checkModel(good)).toBe(good);
    for (const bad of ["--help", "-p", "a b", "x;rm -rf /", "", "m".repeat(101), "sonnet\n"])
      expect(() => checkModel(bad)).toThrow(/not a valid model/);
  });

  test("max turns: the job's number, capped by the worker's", () => {
    expect(effectiveMaxTurns(undefined, 0)).toBeUndefined();
    expect(effectiveMaxTurns(undefined, 20)).toBe(20);
    expect(effectiveMaxTurns(5, 20)).toBe(5);
    expect(effectiveMaxTurns(50, 20)).toBe(20);
    expect(effectiveMaxTurns(50, 0)).toBe(50);
    for (const bad of [0, -1, 1.5, "3", Number.NaN, 1e9]) expect(() => effectiveMaxTurns(bad, 0)).toThrow(/max_turns/);
  });
});

test("child env drops CLAUDECODE and the queue secret, reports an API key", () => {
  const { env, apiKeyOverrides } = buildClaudeEnv({
    PATH: "/bin",
    CLAUDECODE: "1",
    BRIDGE_TOKEN: "s3cret",
    BRIDGE_TOKEN_FILE: "/t",
    HOME: "/h",
    UNSET: undefined,
  });
  expect(env).toEqual({ PATH: "/bin", HOME: "/h" });
  expect(apiKeyOverrides).toBe(false);
  expect(buildClaudeEnv({ ANTHROPIC_API_KEY: "k" }).apiKeyOverrides).toBe(true);
});

test("parseAuthStatus", () => {
  expect(parseAuthStatus(0, JSON.stringify({ loggedIn: true, authMethod: "claude.ai" }), "")).toMatchObject({
    state: "logged_in",
    method: "claude.ai",
  });
  expect(parseAuthStatus(1, JSON.stringify({ loggedIn: false, authMethod: "none" }), "").state).toBe("not_logged_in");
  expect(parseAuthStatus(1, "", "Not logged in").state).toBe("not_logged_in");
  expect(parseAuthStatus(2, "", "error: unknown command 'auth'").state).toBe("unknown");
});
