/**
 * The claude job handler with the REAL Claude Code CLI against the fake Messages API (no queue, no
 * compiled binary: this pins down runner + parser + classification against the actual CLI).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/index.ts";
import { log } from "../../src/log.ts";
import type { HandlerContext, Job, PermissionMode, ProgressEvent } from "../../src/queue/types.ts";
import { createClaudeHandler } from "../../src/worker/claude/index.ts";
import type { ClaudeOutcome } from "../../src/queue/outcome.ts";
import { CLAUDE_BIN, claudeEnv } from "../support/claude-cli.ts";
import { startFakeAnthropic, type FakeAnthropic, type FakeReply } from "../support/fake-anthropic.ts";

// Real CLI runs, worker timeouts of several seconds, and process start-ups: generous, not timed assertions.
setDefaultTimeout(90_000);

let base: string;
let repo: string;
let fake: FakeAnthropic;
let n = 0;

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), "bridge-claude-h-")));
  repo = join(base, "repo");
  mkdirSync(repo);
  mkdirSync(join(base, "home"));
  fake = startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
  rmSync(base, { recursive: true, force: true });
});
afterEach(() => fake.script([]));

interface RunOpts {
  body?: Partial<Job<"claude">["body"]>;
  replies?: FakeReply[];
  ceiling?: PermissionMode;
  timeoutMs?: number;
  env?: Record<string, string>;
  noFake?: boolean;
  signal?: AbortSignal;
}

async function run(opts: RunOpts = {}) {
  fake.script(opts.replies ?? [{ kind: "text", text: "hello from fake" }]);
  const env = claudeEnv(opts.noFake ? undefined : fake, join(base, "home"), opts.env);
  const config = { ...loadConfig({ env: { BRIDGE_ROOT: base }, readFile: () => undefined }), claudeBin: CLAUDE_BIN };
  const events: ProgressEvent[] = [];
  const checkpoints: Record<string, unknown>[] = [];
  const ctx: HandlerContext = {
    signal: opts.signal ?? new AbortController().signal,
    progress: (e) => events.push(e),
    checkpoint: (c) => checkpoints.push(c),
    log,
    config,
    workerOptions: {
      concurrency: 1,
      allowRoots: [repo],
      scriptsDir: join(base, "scripts"),
      permissionMode: opts.ceiling ?? "default",
      timeoutMs: opts.timeoutMs ?? 60_000,
      graceMs: 1000,
      once: false,
    },
  };
  const job: Job<"claude"> = {
    id: `job-${++n}`,
    kind: "claude",
    createdAt: new Date().toISOString(),
    nonce: "0".repeat(32),
    body: { request: "say hello", cwd: repo, ...opts.body },
  };
  const result = await createClaudeHandler({ env, isRoot: process.getuid?.() === 0 })(job, ctx);
  return { ...result, outcome: result.outcome as ClaudeOutcome, events, checkpoints };
}

describe("claude handler with the real CLI", () => {
  test("success: result text, pre-assigned session id checkpointed, progress", async () => {
    const r = await run();
    expect(r.ok).toBe(true);
    expect(r.outcome).toMatchObject({
      classification: "success",
      result: "hello from fake",
      is_error: false,
      exit_code: 0,
      num_turns: 1,
      permission_denials: [],
    });
    expect(r.outcome.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.checkpoints).toEqual([{ session_id: r.outcome.session_id }]);
    expect(r.events.map((e) => e.message)).toContain("hello from fake");
    expect(typeof r.outcome.total_cost_usd).toBe("number");
  });

  test("a prompt of `--help` is sent to the API as the user's text", async () => {
    const r = await run({ body: { request: "--help" } });
    expect(r.outcome.classification).toBe("success");
    expect(fake.userTexts()).toContain("--help");
  });

  test("resume continues the same session", async () => {
    const first = await run();
    const again = await run({
      body: { session_id: first.outcome.session_id! },
      replies: [{ kind: "text", text: "second" }],
    });
    expect(again.outcome).toMatchObject({
      classification: "success",
      result: "second",
      session_id: first.outcome.session_id,
    });
  });

  test("a Bash tool use without permission is denied: not success, listed, nothing done", async () => {
    const r = await run({
      replies: [
        { kind: "tool_use", name: "Bash", input: { command: "touch denied.txt" } },
        { kind: "text", text: "made it" },
      ],
    });
    expect(r.ok).toBe(false);
    expect(r.outcome.classification).toBe("permission_denied");
    expect(r.outcome.permission_denials[0]).toMatchObject({
      tool_name: "Bash",
      tool_input: { command: "touch denied.txt" },
    });
    expect(existsSync(join(repo, "denied.txt"))).toBe(false);
    expect(r.events.map((e) => e.message)).toContain("tool: Bash touch denied.txt");
  });

  test("a Write with acceptEdits (within the ceiling) writes the file", async () => {
    const file = join(repo, "written.txt");
    const r = await run({
      ceiling: "acceptEdits",
      body: { permission_mode: "acceptEdits" },
      replies: [
        { kind: "tool_use", name: "Write", input: { file_path: file, content: "hi\n" } },
        { kind: "text", text: "wrote" },
      ],
    });
    expect(r.outcome).toMatchObject({ classification: "success", result: "wrote", permission_denials: [] });
    expect(await Bun.file(file).text()).toBe("hi\n");
  });

  test("asking above the ceiling is refused before the CLI starts", async () => {
    const before = fake.requests.length;
    const r = await run({ body: { permission_mode: "acceptEdits" } });
    expect(r.outcome.classification).toBe("refused");
    expect(r.error?.message).toContain("ceiling");
    expect(fake.requests.length).toBe(before);
  });

  test("cwd outside the allow-roots is refused", async () => {
    const r = await run({ body: { cwd: base } });
    expect(r.outcome.classification).toBe("refused");
    expect(r.error?.message).toContain("outside");
  });

  test("HTTP 400 from the API fails fast as api_error", async () => {
    const r = await run({ replies: [{ kind: "error", status: 400, sticky: true }] });
    expect(r.outcome).toMatchObject({ classification: "api_error", api_error_status: 400, is_error: true });
  });

  test("HTTP 500 with retries exhausted → api_error", async () => {
    const r = await run({
      replies: [{ kind: "error", status: 500, sticky: true }],
      env: { CLAUDE_CODE_MAX_RETRIES: "1" },
    });
    expect(r.outcome).toMatchObject({ classification: "api_error", api_error_status: 500 });
  });

  test("HTTP 401 is retried by the CLI; the worker's timeout ends it and says it was an API error", async () => {
    const r = await run({ replies: [{ kind: "error", status: 401, sticky: true }], timeoutMs: 4_000 });
    expect(r.outcome.classification).toBe("api_error");
    expect(r.outcome.api_error_status).toBe(401);
    expect(r.outcome.message).toContain("timeout");
    expect(r.events.some((e) => e.message.startsWith("API error 401"))).toBe(true);
  });

  test("not logged in (no API key, empty HOME)", async () => {
    const home = mkdtempSync(join(base, "nohome-"));
    const r = await run({ noFake: true, env: { HOME: home } });
    expect(r.outcome.classification).toBe("not_logged_in");
    expect(r.error?.hint).toContain("login");
  });

  test("timeout: a hanging API call is stopped by the worker's wall clock", async () => {
    const r = await run({ replies: [{ kind: "hang" }], timeoutMs: 2_500 });
    expect(r.outcome.classification).toBe("timeout");
    expect(r.error?.code).toBe("TIMEOUT");
    expect(r.outcome.session_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("cancel: aborting the signal stops the run", async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 1_500);
    const r = await run({ replies: [{ kind: "hang" }], signal: ac.signal });
    expect(r.outcome.classification).toBe("cancelled");
  });

  test("resuming a session that another job is still running is refused", async () => {
    const handler = createClaudeHandler({ env: claudeEnv(fake, join(base, "home")) });
    const first = await run();
    const sid = first.outcome.session_id!;
    fake.script([{ kind: "hang" }]);
    const config = { ...loadConfig({ env: { BRIDGE_ROOT: base }, readFile: () => undefined }), claudeBin: CLAUDE_BIN };
    const ac = new AbortController();
    const ctx = (signal: AbortSignal): HandlerContext => ({
      signal,
      progress() {},
      checkpoint() {},
      log,
      config,
      workerOptions: {
        concurrency: 2,
        allowRoots: [repo],
        scriptsDir: base,
        permissionMode: "default",
        timeoutMs: 30_000,
        graceMs: 100,
        once: false,
      },
    });
    const job = (id: string): Job<"claude"> => ({
      id,
      kind: "claude",
      createdAt: new Date().toISOString(),
      nonce: "2".repeat(32),
      body: { request: "go on", cwd: repo, session_id: sid },
    });
    const running = handler(job("job-a"), ctx(ac.signal));
    while (fake.hangingCount() === 0) await Bun.sleep(20);
    const second = await handler(job("job-b"), ctx(new AbortController().signal));
    expect((second.outcome as ClaudeOutcome).classification).toBe("refused");
    expect(second.error?.message).toContain("job-a");
    ac.abort("cancel");
    expect(((await running).outcome as ClaudeOutcome).classification).toBe("cancelled");
  });

  test("max_turns from the job", async () => {
    const r = await run({
      body: { max_turns: 1 },
      replies: [
        { kind: "tool_use", name: "Bash", input: { command: "echo hi" } },
        { kind: "text", text: "x" },
      ],
    });
    expect(r.outcome.classification).toBe("max_turns");
  });

  test("a missing CLI is reported as cli_missing", async () => {
    fake.script([]);
    const config = {
      ...loadConfig({ env: { BRIDGE_ROOT: base }, readFile: () => undefined }),
      claudeBin: join(base, "no-claude"),
    };
    const handler = createClaudeHandler({ env: claudeEnv(fake, join(base, "home")) });
    const r = await handler(
      {
        id: "j-missing",
        kind: "claude",
        createdAt: new Date().toISOString(),
        nonce: "1".repeat(32),
        body: { request: "x", cwd: repo },
      },
      {
        signal: new AbortController().signal,
        progress() {},
        checkpoint() {},
        log,
        config,
        workerOptions: {
          concurrency: 1,
          allowRoots: [repo],
          scriptsDir: base,
          permissionMode: "default",
          timeoutMs: 5000,
          graceMs: 100,
          once: false,
        },
      },
    );
    expect((r.outcome as ClaudeOutcome).classification).toBe("cli_missing");
  });
});
