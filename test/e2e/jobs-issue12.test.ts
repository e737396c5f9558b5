/**
 * Job robustness end to end (issue 12), through the compiled `dist/bridge serve` + `dist/bridge
 * worker`, the real Claude CLI against the fake Messages API, and real host scripts:
 * progress sent once, everything a script started ends with it (cgroup and /proc modes), a killed
 * worker noticed at once and described exactly, idempotency keys, secret redaction, and read-only
 * escalations sharing a directory.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { resultText, startBridge, type RunningBridge } from "../support/bridge.ts";
import { CLAUDE_BIN, claudeEnv } from "../support/claude-cli.ts";
import { startFakeAnthropic, type FakeAnthropic } from "../support/fake-anthropic.ts";
import { queueRoot, until, type QueueRoot, type WorkerProc } from "../support/queue-worker.ts";

setDefaultTimeout(90_000);
type S = Record<string, any>;

const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};
const pidIn = (file: string) =>
  until(
    () => {
      try {
        const n = Number(readFileSync(file, "utf8").trim());
        return n > 0 ? n : undefined;
      } catch {
        return undefined;
      }
    },
    10_000,
    file,
  );

let fake: FakeAnthropic;
beforeAll(() => {
  fake = startFakeAnthropic();
});
afterAll(async () => {
  await fake.stop();
});

interface Env {
  q: QueueRoot;
  worker: WorkerProc;
  serve: RunningBridge;
  repo: string;
}
async function setup(workerArgs: string[], extra: Record<string, string> = {}): Promise<Env> {
  const q = await queueRoot({ ...claudeEnv(fake, "/tmp"), BRIDGE_CLAUDE_BIN: CLAUDE_BIN, ...extra });
  const home = join(q.root, "home");
  const repo = join(q.root, "repo");
  mkdirSync(home);
  mkdirSync(repo);
  q.env.HOME = home;
  const worker = q.startWorker(["--allow-root", repo, ...workerArgs]);
  await worker.ready();
  const serve = await startBridge({
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      BRIDGE_ROOT: q.root,
      BRIDGE_TOKEN_FILE: join(q.root, "token"),
      MCP_BRIDGE_LOG_LEVEL: "warn",
      MCP_BRIDGE_TOOLS: "escalation,scripts,jobs",
    },
  });
  return { q, worker, serve, repo };
}
async function teardown(e: Env | undefined) {
  await e?.serve.close().catch(() => {});
  await e?.q.cleanup();
}
const call = (e: Env, name: string, args: S, opts: S = {}) =>
  e.serve.client.callTool({ name, arguments: args }, CallToolResultSchema, { timeout: 120_000, ...opts });

describe("progress (1)", () => {
  let e: Env;
  beforeAll(async () => {
    e = await setup(["--permission-mode", "acceptEdits"]);
  });
  afterAll(() => teardown(e));
  test("each event is sent once, in order, though the run spans many wait slices", async () => {
    fake.script([
      { kind: "tool_use", name: "Bash", input: { command: "echo one" } },
      { kind: "text", text: "final answer", delayMs: 2_500 },
    ]);
    const messages: string[] = [];
    const res = await call(
      e,
      "escalate_to_claude",
      { request: "go", cwd: e.repo, permission_mode: "acceptEdits" },
      { onprogress: (p: S) => messages.push(p.message ?? "") },
    );
    expect((res.structuredContent as S).state).toBe("done");
    const events = messages.filter((m) => !m.includes("is still"));
    expect(events.some((m) => m.startsWith("Claude Code started"))).toBe(true);
    expect(events).toContain("tool: Bash echo one");
    expect(new Set(events).size).toBe(events.length);
  });
});

for (const mode of ["auto", "proc"] as const) {
  describe(`a script's background child (2), BRIDGE_PROCESS_TRACKING=${mode}`, () => {
    let e: Env;
    beforeAll(async () => {
      e = await setup(["--timeout", "4s"], { BRIDGE_PROCESS_TRACKING: mode });
    });
    afterAll(() => teardown(e));
    const script = (name: string, tail: string) =>
      e.q.addScript(name, `#!/bin/sh\nsetsid sleep 120 &\necho $! > "${join(e.q.root, `${name}.pid`)}"\n${tail}\n`);

    test("the job ends when its main process exits; the setsid child is stopped and noted", async () => {
      script("starter", "sleep 1; echo started");
      await until(
        async () =>
          ((await call(e, "run_script", {})).structuredContent as S).scripts.some((s: S) => s.name === "starter") ||
          undefined,
        15_000,
        "catalog",
      );
      const t0 = Date.now();
      const res = await call(e, "run_script", { name: "starter", wait_seconds: 60 });
      const out = res.structuredContent as S;
      expect(Date.now() - t0).toBeLessThan(20_000);
      expect(out.state).toBe("done");
      expect(out.outcome.stdout).toContain("started");
      expect(out.outcome.note).toContain("still running when the script exited; stopped");
      expect(alive(await pidIn(join(e.q.root, "starter.pid")))).toBe(false);
    });

    test("the worker timeout ends the setsid child too", async () => {
      script("hanger", "sleep 60");
      await until(
        async () =>
          ((await call(e, "run_script", {})).structuredContent as S).scripts.some((s: S) => s.name === "hanger") ||
          undefined,
        15_000,
        "catalog",
      );
      const res = await call(e, "run_script", { name: "hanger", wait_seconds: 60 });
      expect((res.structuredContent as S).error.code).toBe("TIMEOUT");
      const pid = await pidIn(join(e.q.root, "hanger.pid"));
      await until(() => (alive(pid) ? undefined : true), 5_000, "child gone");
    });

    test("cancel_job ends the setsid child too", async () => {
      script("cancelme", "sleep 60");
      await until(
        async () =>
          ((await call(e, "run_script", {})).structuredContent as S).scripts.some((s: S) => s.name === "cancelme") ||
          undefined,
        15_000,
        "catalog",
      );
      const started = await call(e, "run_script", { name: "cancelme", wait_seconds: 0 });
      const pid = await pidIn(join(e.q.root, "cancelme.pid"));
      await Bun.sleep(300);
      const res = await call(e, "cancel_job", { job_id: (started.structuredContent as S).job_id });
      expect((res.structuredContent as S).state).toBe("cancelled");
      await until(() => (alive(pid) ? undefined : true), 5_000, "child gone");
    });
  });
}

describe("a dead worker (3)", () => {
  let e: Env;
  beforeAll(async () => {
    e = await setup(["--timeout", "60s"]);
  });
  afterAll(() => teardown(e));
  test("kill -9 while a call waits: noticed within moments, and the note says the job is not re-run", async () => {
    fake.script([{ kind: "hang" }]);
    const pending = call(e, "escalate_to_claude", { request: "long", cwd: e.repo, wait_seconds: 120 });
    await until(() => (fake.hangingCount() > 0 ? true : undefined), 20_000, "hanging request");
    const killedAt = Date.now();
    e.worker.proc.kill("SIGKILL");
    const res = await pending;
    expect(Date.now() - killedAt).toBeLessThan(5_000); // ~0.5 s on an idle machine
    const out = res.structuredContent as S;
    expect(out.state).toBe("running");
    expect(out.next).toMatch(
      /was running on worker w-\d+-\w+ \(pid \d+ on .+\), which died: its process \(pid \d+\) is gone/,
    );
    expect(out.next).toContain("will not be re-run");
    expect(out.next).not.toContain("run when");
  });
  test("after a clean stop the answer says so, not that no worker ever ran", async () => {
    const w = e.q.startWorker(["--allow-root", e.repo]);
    await w.ready();
    w.proc.kill("SIGTERM");
    await w.exited;
    const res = await call(e, "escalate_to_claude", { request: "x", cwd: e.repo });
    const text = resultText(res as { content?: unknown });
    expect(text).toMatch(/stopped cleanly at .* \(SIGTERM\)/);
    expect(text).not.toContain("never");
  });
});

describe("idempotency keys (5) and redaction (6)", () => {
  let e: Env;
  beforeAll(async () => {
    e = await setup(["--permission-mode", "acceptEdits"], { BRIDGE_REDACT_PATTERNS: "ACME-[0-9]{6}" });
  });
  afterAll(() => teardown(e));

  test("run_script: a repeated key returns the first job and runs nothing; other arguments are an error", async () => {
    const marker = join(e.q.root, "ran.txt");
    e.q.addScript("once", `#!/bin/sh\necho "$1" >> "${marker}"\necho ran "$1"\n`);
    await until(
      async () =>
        ((await call(e, "run_script", {})).structuredContent as S).scripts.some((s: S) => s.name === "once") ||
        undefined,
      15_000,
      "catalog",
    );
    const first = (
      await call(e, "run_script", { name: "once", args: ["a"], idempotency_key: "deploy-1", wait_seconds: 20 })
    ).structuredContent as S;
    const again = await call(e, "run_script", {
      name: "once",
      args: ["a"],
      idempotency_key: "deploy-1",
      wait_seconds: 20,
    });
    expect(again.structuredContent as S).toMatchObject({ job_id: first.job_id, state: "done", reused: true });
    expect(resultText(again as { content?: unknown })).toContain("not run again");
    const other = await call(e, "run_script", { name: "once", args: ["b"], idempotency_key: "deploy-1" });
    expect(other.isError).toBe(true);
    expect(resultText(other as { content?: unknown })).toContain("different arguments");
    expect(readFileSync(marker, "utf8")).toBe("a\n");
  });

  test("escalate_to_claude: a repeated key does not call Claude again", async () => {
    fake.script([{ kind: "text", text: "only once" }]);
    const first = (await call(e, "escalate_to_claude", { request: "hi", cwd: e.repo, idempotency_key: "ask-1" }))
      .structuredContent as S;
    const scripted = fake.requests.filter((r) => r.scripted).length;
    const again = (await call(e, "escalate_to_claude", { request: "hi", cwd: e.repo, idempotency_key: "ask-1" }))
      .structuredContent as S;
    expect(again).toMatchObject({ job_id: first.job_id, reused: true, outcome: { result: "only once" } });
    expect(fake.requests.filter((r) => r.scripted).length).toBe(scripted);
  });

  test("a script printing secrets: each is redacted, the user's pattern too, and the result says so", async () => {
    const gh = `ghp_${"k".repeat(36)}`;
    const ant = `sk-ant-api03-${"Q".repeat(93)}AA`;
    e.q.addScript(
      "leaky",
      `#!/bin/sh\necho "token ${gh}"\necho "ANTHROPIC_API_KEY=${ant}"\necho "password=hunter2secret"\necho "Authorization: Bearer ${"b".repeat(30)}"\necho "id ACME-123456" >&2\necho "plain text stays"\n`,
    );
    await until(
      async () =>
        ((await call(e, "run_script", {})).structuredContent as S).scripts.some((s: S) => s.name === "leaky") ||
        undefined,
      15_000,
      "catalog",
    );
    const res = await call(e, "run_script", { name: "leaky", wait_seconds: 20 });
    const out = (res.structuredContent as S).outcome;
    const all = `${out.stdout}${out.stderr}${resultText(res as { content?: unknown })}`;
    for (const secret of [gh, ant, "hunter2secret", "b".repeat(30), "ACME-123456"]) expect(all).not.toContain(secret);
    expect(out.stdout).toContain("plain text stays");
    expect(out.stderr).toContain("[REDACTED:pattern]");
    expect(out.redacted.count).toBe(5);
    expect(out.note).toContain("5 secrets redacted");
    // Nothing secret reached the queue folder either.
    const results = join(e.q.root, "queue", "results");
    for (const f of readdirSync(results)) expect(readFileSync(join(results, f), "utf8")).not.toContain(gh);
  });

  test("Claude's answer is redacted too", async () => {
    const key = `ghp_${"z".repeat(36)}`;
    fake.script([{ kind: "text", text: `here is the key: ${key}` }]);
    const out = (await call(e, "escalate_to_claude", { request: "leak", cwd: e.repo })).structuredContent as S;
    expect(out.outcome.result).toBe("here is the key: [REDACTED:github]");
    // Counted wherever it was found: the answer and the progress line that carried its text.
    expect(out.outcome.redacted.kinds).toEqual(["github"]);
  });
});

describe("read-only escalations share a directory (7)", () => {
  let e: Env;
  beforeAll(async () => {
    e = await setup(["--concurrency", "2", "--timeout", "60s"]);
  });
  afterAll(() => teardown(e));
  test("two plan-mode runs in one directory run at once; two writing runs do not", async () => {
    fake.script([{ kind: "hang" }, { kind: "hang" }]);
    const a = (
      await call(e, "escalate_to_claude", { request: "look 1", cwd: e.repo, permission_mode: "plan", wait_seconds: 0 })
    ).structuredContent as S;
    const b = (
      await call(e, "escalate_to_claude", { request: "look 2", cwd: e.repo, permission_mode: "plan", wait_seconds: 0 })
    ).structuredContent as S;
    await until(() => (fake.hangingCount() === 2 ? true : undefined), 30_000, "two runs in parallel");
    for (const j of [a, b]) await call(e, "cancel_job", { job_id: j.job_id });
    await until(() => (fake.hangingCount() === 0 ? true : undefined), 15_000, "runs stopped");

    fake.script([{ kind: "hang" }, { kind: "hang" }]);
    const c = (await call(e, "escalate_to_claude", { request: "edit 1", cwd: e.repo, wait_seconds: 0 }))
      .structuredContent as S;
    const d = (await call(e, "escalate_to_claude", { request: "edit 2", cwd: e.repo, wait_seconds: 0 }))
      .structuredContent as S;
    await until(() => (fake.hangingCount() === 1 ? true : undefined), 30_000, "one writing run");
    await Bun.sleep(3_000);
    expect(fake.hangingCount()).toBe(1);
    expect(((await call(e, "get_job", { job_id: d.job_id, wait_seconds: 0 })).structuredContent as S).state).toBe(
      "queued",
    );
    for (const j of [c, d]) await call(e, "cancel_job", { job_id: j.job_id });
  });
});
