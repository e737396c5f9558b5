/**
 * escalate_to_claude end to end: the compiled `dist/bridge serve` (SDK client over stdio) and
 * `dist/bridge worker`, which runs the REAL Claude Code CLI against the fake Messages API.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { effectiveHints } from "../../src/mcp/tool-def.ts";
import { requireBinary, resultText, startBridge, tempDir, type RunningBridge } from "../support/bridge.ts";
import { CLAUDE_BIN, claudeEnv } from "../support/claude-cli.ts";
import { startFakeAnthropic, type FakeAnthropic, type FakeReply } from "../support/fake-anthropic.ts";

// Real CLI runs, worker timeouts of several seconds, and process start-ups: generous, not timed assertions.
setDefaultTimeout(90_000);

const SESSION = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface WorkerProc {
  proc: ChildProcess;
  log: () => string;
  exited: Promise<unknown>;
}

interface Setup {
  root: string;
  repo: string;
  bridge: RunningBridge;
  worker: WorkerProc;
  workerLog: () => string;
  /** Starts another worker on the same root (e.g. after killing the first). */
  startWorker: () => Promise<WorkerProc>;
  close: () => Promise<void>;
}

/**
 * A fresh BRIDGE_ROOT (`bridge worker --init`), a worker running the real CLI with `workerArgs`
 * and `env`, and `bridge serve` connected over stdio.
 */
async function setup(
  fake: FakeAnthropic | undefined,
  workerArgs: string[],
  extraEnv: Record<string, string> = {},
): Promise<Setup> {
  const bin = requireBinary();
  const dir = tempDir("bridge-escalate-");
  const root = join(dir.path, "root");
  const repo = join(dir.path, "repo");
  const home = join(dir.path, "home");
  mkdirSync(repo);
  mkdirSync(home);
  const env = {
    ...claudeEnv(fake, home),
    BRIDGE_ROOT: root,
    BRIDGE_CLAUDE_BIN: CLAUDE_BIN,
    MCP_BRIDGE_LOG_LEVEL: "info",
    ...extraEnv,
  };
  const init = Bun.spawnSync([bin, "worker", "--init"], { env, stdout: "pipe", stderr: "pipe" });
  if (init.exitCode !== 0) throw new Error(`worker --init failed: ${init.stderr.toString()}`);
  const workers: WorkerProc[] = [];
  const startWorker = async (): Promise<WorkerProc> => {
    const proc = spawn(bin, ["worker", "--allow-root", repo, ...workerArgs], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    proc.stderr!.on("data", (c: Buffer) => (log += c.toString()));
    proc.stdout!.on("data", (c: Buffer) => (log += c.toString()));
    const w = { proc, log: () => log, exited: new Promise((res) => proc.on("exit", res)) };
    workers.push(w);
    const beats = join(root, "queue", "workers");
    for (let i = 0; !(existsSync(beats) && readdirSync(beats).some((f) => f.startsWith(`w-${proc.pid}-`))); i++) {
      if (i > 400 || proc.exitCode !== null) throw new Error(`worker did not start:\n${log}`);
      await Bun.sleep(25);
    }
    return w;
  };
  const worker = await startWorker();
  // serve gets only what an MCP client config would give it: the root and the token file.
  const serveEnv: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    BRIDGE_ROOT: root,
    BRIDGE_TOKEN_FILE: join(root, "token"),
    MCP_BRIDGE_LOG_LEVEL: "warn",
  };
  const bridge = await startBridge({ env: serveEnv });
  return {
    root,
    repo,
    bridge,
    worker,
    workerLog: () => worker.log(),
    startWorker,
    close: async () => {
      await bridge.close();
      for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill("SIGTERM");
      await Promise.race([Promise.all(workers.map((w) => w.exited)), Bun.sleep(5000)]);
      for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill("SIGKILL");
      dir.cleanup();
    },
  };
}

type Structured = {
  job_id?: string;
  state: string;
  next?: string;
  outcome?: {
    classification: string;
    result?: string;
    session_id?: string;
    permission_denials?: Array<{ tool_name: string; tool_input?: unknown }>;
    api_error_status?: number;
    num_turns?: number;
    total_cost_usd?: number;
    message?: string;
  };
  error?: { code: string; message: string; hint?: string };
};

async function escalate(
  s: Setup,
  args: Record<string, unknown>,
  opts: { onprogress?: (p: { message?: string }) => void; signal?: AbortSignal } = {},
) {
  const res = await s.bridge.client.callTool({ name: "escalate_to_claude", arguments: args }, CallToolResultSchema, {
    ...opts,
    timeout: 120_000,
  });
  return { res, s: res.structuredContent as Structured, text: resultText(res as { content?: unknown }) };
}

let fake: FakeAnthropic;
beforeAll(() => {
  fake = startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
});

describe("escalate_to_claude (worker ceiling acceptEdits, API retries limited to 1)", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup(fake, ["--permission-mode", "acceptEdits", "--timeout", "30s"], { CLAUDE_CODE_MAX_RETRIES: "1" });
  });
  afterAll(async () => {
    await s?.close();
  });
  const script = (replies: FakeReply[]) => fake.script(replies);

  test("tools/list: what the annotations mean (only non-default hints are listed)", async () => {
    const { tools } = await s.bridge.client.listTools();
    const tool = tools.find((t) => t.name === "escalate_to_claude")!;
    expect(effectiveHints(tool.annotations)).toEqual({
      readOnly: false,
      destructive: true,
      idempotent: false,
      openWorld: true,
    });
  });

  test("success: Claude's answer, session id, cost and turns", async () => {
    script([{ kind: "text", text: "Hello from the fake API" }]);
    const { res, s: out, text } = await escalate(s, { request: "say hello", cwd: s.repo });
    expect(res.isError).toBeFalsy();
    expect(out).toMatchObject({ state: "done" });
    expect(out.error).toBeUndefined();
    expect(out.outcome).toMatchObject({ classification: "success", result: "Hello from the fake API", num_turns: 1 });
    expect(out.outcome!.permission_denials).toBeUndefined();
    expect(out.outcome!.session_id).toMatch(SESSION);
    expect(typeof out.outcome!.total_cost_usd).toBe("number");
    expect(text).toContain("Hello from the fake API");
  });

  test("a prompt of `--help` reaches the API as the user's text", async () => {
    script([{ kind: "text", text: "that was text" }]);
    const before = fake.requests.length;
    const { s: out } = await escalate(s, { request: "--help" });
    expect(out.outcome?.classification).toBe("success");
    expect(out.outcome?.result).toBe("that was text");
    expect(fake.requests.length).toBeGreaterThan(before);
    expect(fake.userTexts()).toContain("--help");
  });

  test("a permitted Write (acceptEdits) creates the file in the repo", async () => {
    const file = join(s.repo, "hello.txt");
    script([
      { kind: "tool_use", name: "Write", input: { file_path: file, content: "written by claude\n" } },
      { kind: "text", text: "wrote it" },
    ]);
    const { s: out } = await escalate(s, { request: "write hello.txt", cwd: s.repo, permission_mode: "acceptEdits" });
    expect(out.outcome).toMatchObject({ classification: "success", result: "wrote it" });
    expect(readFileSync(file, "utf8")).toBe("written by claude\n");
  });

  test("a refused tool use is reported in permission_denials, not as success, and nothing is written", async () => {
    const file = join(s.repo, "denied.txt");
    script([
      { kind: "tool_use", name: "Bash", input: { command: `touch ${file}` } },
      { kind: "text", text: "I made the file" },
    ]);
    const {
      res,
      s: out,
      text,
    } = await escalate(s, { request: "touch denied.txt", cwd: s.repo, permission_mode: "default" });
    expect(res.isError).toBe(true);
    expect(out.state).toBe("failed");
    expect(out.outcome?.classification).toBe("permission_denied");
    expect(out.outcome?.permission_denials?.[0]).toMatchObject({
      tool_name: "Bash",
      tool_input: { command: `touch ${file}` },
    });
    expect(existsSync(file)).toBe(false);
    expect(text).toContain("Refused tool calls");
  });

  test("continuing a session with session_id", async () => {
    script([{ kind: "text", text: "first" }]);
    const first = await escalate(s, { request: "one", cwd: s.repo });
    script([{ kind: "text", text: "second" }]);
    const second = await escalate(s, { request: "two", cwd: s.repo, session_id: first.s.outcome!.session_id });
    expect(second.s.outcome).toMatchObject({ classification: "success", result: "second" });
    expect(second.s.outcome!.session_id).toBe(first.s.outcome!.session_id);
  });

  test("HTTP 500 from the API → api_error", async () => {
    script([{ kind: "error", status: 500, sticky: true }]);
    const { res, s: out } = await escalate(s, { request: "fail please", cwd: s.repo });
    expect(res.isError).toBe(true);
    expect(out.outcome).toMatchObject({ classification: "api_error", api_error_status: 500 });
  });

  test("HTTP 400 invalid_request fails fast → api_error", async () => {
    script([{ kind: "error", status: 400, sticky: true }]);
    const { s: out } = await escalate(s, { request: "bad request", cwd: s.repo });
    expect(out.outcome).toMatchObject({ classification: "api_error", api_error_status: 400 });
  });

  test("progress notifications arrive with a progressToken", async () => {
    script([
      { kind: "tool_use", name: "Bash", input: { command: "echo progress-check" } },
      { kind: "text", text: "all done" },
    ]);
    const messages: string[] = [];
    const { s: out } = await escalate(
      s,
      { request: "run echo", cwd: s.repo },
      { onprogress: (p) => messages.push(p.message ?? "") },
    );
    expect(out.state).toBe("done");
    expect(messages.some((m) => m.startsWith("Claude Code started"))).toBe(true);
    expect(messages).toContain("tool: Bash echo progress-check");
    expect(messages).toContain("all done");
  });

  test("wait_seconds 0 returns the job id; get_job finishes it", async () => {
    script([{ kind: "text", text: "later" }]);
    const { res, s: out } = await escalate(s, { request: "later", cwd: s.repo, wait_seconds: 0 });
    expect(res.isError).toBeFalsy();
    expect(["queued", "running"]).toContain(out.state);
    expect(out.next).toContain("get_job");
    const got = await s.bridge.client.callTool({
      name: "get_job",
      arguments: { job_id: out.job_id, wait_seconds: 30 },
    });
    expect(got.structuredContent).toMatchObject({
      job_id: out.job_id,
      state: "done",
      outcome: { classification: "success", result: "later" },
    });
  });

  test("notifications/cancelled cancels the running job", async () => {
    script([{ kind: "hang" }]);
    const ac = new AbortController();
    const seen: string[] = [];
    const call = escalate(
      s,
      { request: "hang", cwd: s.repo },
      { signal: ac.signal, onprogress: (p) => seen.push(p.message ?? "") },
    );
    const started = Date.now();
    while (!seen.some((m) => m.startsWith("Claude Code started")) && Date.now() - started < 20_000) await Bun.sleep(50);
    ac.abort("user pressed stop");
    await expect(call).rejects.toThrow();
    const jobs = await s.bridge.client.callTool({ name: "get_job", arguments: {} });
    const id = (jobs.structuredContent as { jobs: Array<{ job_id: string }> }).jobs[0]!.job_id;
    const got = await s.bridge.client.callTool({ name: "get_job", arguments: { job_id: id, wait_seconds: 20 } });
    expect(got.structuredContent).toMatchObject({ job_id: id, state: "cancelled" });
  });

  test("a client-side request timeout does not cancel the job: get_job still gets the answer", async () => {
    script([{ kind: "text", text: "worth the wait", delayMs: 2_500 }]);
    const call = s.bridge.client.callTool(
      { name: "escalate_to_claude", arguments: { request: "slow", cwd: s.repo } },
      CallToolResultSchema,
      { timeout: 1_000, onprogress: () => {} },
    );
    await expect(call).rejects.toThrow(/timed out/i);
    const jobs = await s.bridge.client.callTool({ name: "get_job", arguments: {} });
    const id = (jobs.structuredContent as { jobs: Array<{ job_id: string }> }).jobs[0]!.job_id;
    const got = await s.bridge.client.callTool({ name: "get_job", arguments: { job_id: id, wait_seconds: 30 } });
    expect(got.structuredContent).toMatchObject({
      job_id: id,
      state: "done",
      outcome: { classification: "success", result: "worth the wait" },
    });
  });

  test("cwd outside the allow-roots and a mode above the ceiling are refused by the worker", async () => {
    const outside = await escalate(s, { request: "x", cwd: realpathSync(s.root) });
    expect(outside.s.state).toBe("failed");
    expect(outside.s.outcome?.classification).toBe("refused");
    expect(outside.s.error?.message).toContain("outside");
    const above = await escalate(s, { request: "x", cwd: s.repo, permission_mode: "bypassPermissions" });
    expect(above.s.outcome?.classification).toBe("refused");
  });
  test("hostile input: shell syntax in the request is text, flag-like model and symlinked cwd are refused", async () => {
    const marker = join(s.repo, "pwned");
    fake.script([{ kind: "text", text: "just text" }]);
    const request = `$(touch ${marker}) \`touch ${marker}\`; --dangerously-skip-permissions`;
    const plain = await escalate(s, { request, cwd: s.repo });
    expect(plain.s.outcome?.classification).toBe("success");
    expect(fake.userTexts()).toContain(request);
    expect(existsSync(marker)).toBe(false);

    const model = await escalate(s, { request: "x", cwd: s.repo, model: "--dangerously-skip-permissions" });
    expect(model.s.outcome?.classification).toBe("refused");

    symlinkSync(s.root, join(s.repo, "escape"));
    const link = await escalate(s, { request: "x", cwd: join(s.repo, "escape") });
    expect(link.s.outcome?.classification).toBe("refused");
    expect(link.s.error?.message).toContain("not a directory inside the worker's allowed roots");
    expect(link.s.error?.message).not.toContain(s.root); // where the link leads is not told

    const badSession = await s.bridge.client
      .callTool({ name: "escalate_to_claude", arguments: { request: "x", session_id: "--resume" } })
      .catch((err: Error) => ({ isError: true, content: [{ type: "text", text: err.message }] }));
    expect(badSession.isError).toBe(true);
  });

  test("the worker warned (at its first claude job) that ANTHROPIC_API_KEY overrides the subscription", () => {
    expect(s.workerLog()).toContain("ANTHROPIC_API_KEY is set");
  });
});

describe("escalate_to_claude (worker timeout 4s, default API retries)", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup(fake, ["--timeout", "4s"]);
  });
  afterAll(async () => {
    await s?.close();
  });

  test("timeout: a run that does not finish is stopped and reported as timeout, with its session id", async () => {
    fake.script([{ kind: "hang" }]);
    const { res, s: out } = await escalate(s, { request: "hang", cwd: s.repo });
    expect(res.isError).toBe(true);
    expect(out.outcome?.classification).toBe("timeout");
    expect(out.error?.code).toBe("TIMEOUT");
    expect(out.outcome?.session_id).toMatch(SESSION);
  });

  test("HTTP 401 is retried by the CLI until the timeout: reported as api_error (401), not success", async () => {
    fake.script([{ kind: "error", status: 401, sticky: true }]);
    const { s: out } = await escalate(s, { request: "auth fails", cwd: s.repo });
    expect(out.outcome?.classification).toBe("api_error");
    expect(out.outcome?.api_error_status).toBe(401);
    expect(out.outcome?.message).toContain("timeout");
  });
});

describe("escalate_to_claude when the worker is killed mid-run", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup(fake, ["--timeout", "60s"]);
  });
  afterAll(async () => {
    await s?.close();
  });

  test("kill -9 the worker: Claude stops too, the job ends interrupted with its session id, and is never re-run", async () => {
    fake.script([{ kind: "hang" }]);
    const { s: queued } = await escalate(s, { request: "long task", cwd: s.repo, wait_seconds: 0 });
    const id = queued.job_id!;
    const deadline = Date.now() + 20_000;
    while (fake.hangingCount() === 0 && Date.now() < deadline) await Bun.sleep(50);
    expect(fake.hangingCount()).toBe(1);
    const scriptedBefore = fake.requests.filter((r) => r.scripted).length;

    s.worker.proc.kill("SIGKILL");
    await s.worker.exited;
    // The watchdog in Claude's process group notices the worker is gone and stops the CLI,
    // which closes its API connection.
    const stopBy = Date.now() + 10_000;
    while (fake.hangingCount() > 0 && Date.now() < stopBy) await Bun.sleep(50);
    expect(fake.hangingCount()).toBe(0);

    await s.startWorker();
    const got = await s.bridge.client.callTool({ name: "get_job", arguments: { job_id: id, wait_seconds: 20 } });
    expect(got.structuredContent).toMatchObject({
      job_id: id,
      state: "interrupted",
      error: { code: "JOB_INTERRUPTED" },
    });
    expect((got.structuredContent as { outcome: { session_id: string } }).outcome.session_id).toMatch(SESSION);
    await Bun.sleep(1500);
    expect(fake.requests.filter((r) => r.scripted).length).toBe(scriptedBefore);
  });
});

describe("escalate_to_claude across restarts", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup(fake, ["--timeout", "60s", "--grace", "1s"]);
  });
  afterAll(async () => {
    await s?.close();
  });

  test("restart serve while Claude runs: get_job from the new serve returns the result", async () => {
    fake.script([{ kind: "text", text: "finished while serve was away", delayMs: 2_000 }]);
    const { s: queued } = await escalate(s, { request: "slow", cwd: s.repo, wait_seconds: 0 });
    await s.bridge.close();
    const serveEnv: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: s.root,
      BRIDGE_ROOT: s.root,
      BRIDGE_TOKEN_FILE: join(s.root, "token"),
      MCP_BRIDGE_LOG_LEVEL: "warn",
    };
    s.bridge = await startBridge({ env: serveEnv });
    const got = await s.bridge.client.callTool({
      name: "get_job",
      arguments: { job_id: queued.job_id, wait_seconds: 30 },
    });
    expect(got.structuredContent).toMatchObject({
      state: "done",
      outcome: { classification: "success", result: "finished while serve was away" },
    });
  });

  test("SIGTERM the worker mid-run: after the grace period the run is stopped and the job is interrupted, resumable", async () => {
    fake.script([{ kind: "hang" }]);
    const { s: queued } = await escalate(s, { request: "long", cwd: s.repo, wait_seconds: 0 });
    const deadline = Date.now() + 20_000;
    while (fake.hangingCount() === 0 && Date.now() < deadline) await Bun.sleep(50);
    expect(fake.hangingCount()).toBe(1);
    s.worker.proc.kill("SIGTERM");
    await s.worker.exited;
    expect(fake.hangingCount()).toBe(0);
    const got = await s.bridge.client.callTool({
      name: "get_job",
      arguments: { job_id: queued.job_id, wait_seconds: 0 },
    });
    const view = got.structuredContent as { state: string; outcome: { classification: string; session_id: string } };
    expect(view.state).toBe("interrupted");
    expect(view.outcome.classification).toBe("interrupted");
    expect(view.outcome.session_id).toMatch(SESSION);
  });
});

describe("escalate_to_claude without any login", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup(undefined, []);
  });
  afterAll(async () => {
    await s?.close();
  });

  test("not logged in is said as such, and the worker log says so", async () => {
    const { res, s: out, text } = await escalate(s, { request: "hello", cwd: s.repo });
    expect(res.isError).toBe(true);
    expect(out.outcome?.classification).toBe("not_logged_in");
    expect(text).toContain("not logged in");
    expect(s.workerLog()).toContain("not logged in");
  });
});

describe("escalate_to_claude when the CLI is missing", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup(fake, [], { BRIDGE_CLAUDE_BIN: "/nonexistent/claude" });
  });
  afterAll(async () => {
    await s?.close();
  });

  test("cli_missing, with how to fix it", async () => {
    const { res, s: out } = await escalate(s, { request: "hello", cwd: s.repo });
    expect(res.isError).toBe(true);
    expect(out.outcome?.classification).toBe("cli_missing");
    expect(out.error?.hint).toContain("BRIDGE_CLAUDE_BIN");
  });
});

describe("escalate_to_claude with no worker", () => {
  test("says so at once with the command to start one, and queues nothing", async () => {
    const dir = tempDir("bridge-escalate-noworker-");
    const root = join(dir.path, "root");
    const init = Bun.spawnSync([requireBinary(), "worker", "--init"], {
      env: { PATH: process.env.PATH ?? "", HOME: dir.path, BRIDGE_ROOT: root },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(init.exitCode).toBe(0);
    const bridge = await startBridge({
      env: {
        PATH: process.env.PATH ?? "",
        HOME: dir.path,
        BRIDGE_ROOT: root,
        BRIDGE_TOKEN_FILE: join(root, "token"),
        MCP_BRIDGE_LOG_LEVEL: "warn",
      },
    });
    try {
      const started = Date.now();
      const res = await bridge.client.callTool({ name: "escalate_to_claude", arguments: { request: "hi" } });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(res.isError).toBe(true);
      expect(res.structuredContent).toMatchObject({ state: "no_worker", error: { code: "WORKER_OFFLINE" } });
      expect(res.structuredContent).not.toHaveProperty("job_id");
      expect(resultText(res as { content?: unknown })).toContain("bridge worker");
      const jobs = await bridge.client.callTool({ name: "get_job", arguments: {} });
      expect((jobs.structuredContent as { jobs: unknown[] }).jobs).toHaveLength(0);
    } finally {
      await bridge.close();
      dir.cleanup();
    }
  });
});
