import { afterEach, describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/index.ts";
import { log } from "../../../src/log.ts";
import { signJob } from "../../../src/queue/auth.ts";
import { newJobId, newNonce } from "../../../src/queue/ids.ts";
import type { QueueDir } from "../../../src/queue/dirs.ts";
import { ensureLayout } from "../../../src/queue/layout.ts";
import { readResult, writeResult } from "../../../src/queue/store.ts";
import type { HandlerResult, Job, JobHandler, WorkerOptions } from "../../../src/queue/types.ts";
import { requestCancel } from "../../../src/queue/cancel.ts";
import { takeIn } from "../../../src/worker/intake.ts";
import { finalState, runJob, type AbortCause } from "../../../src/worker/run-job.ts";

const SECRET = "s".repeat(64);
const WORKER = "w-1-0000abcd";
let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
function setup() {
  const root = mkdtempSync(join(tmpdir(), "bridge-unit-worker-"));
  dirs.push(root);
  const layout = ensureLayout({ root });
  const events: Record<string, unknown>[] = [];
  const runPath = join(layout.running, WORKER);
  mkdirSync(runPath);
  const runDir = layout.d.running.child(WORKER);
  return { root, layout, events, runDir, runPath, journal: (e: Record<string, unknown>) => void events.push(e) };
}
const newJob = (at = Date.now()): Job<"script"> => ({
  id: newJobId("script", at),
  kind: "script",
  createdAt: new Date(at).toISOString(),
  nonce: newNonce(),
  body: { name: "n", args: [] },
});
const place = (dir: QueueDir, obj: { id: string }, name = `${obj.id}.json`) => {
  writeFileSync(join(dir.path, name), JSON.stringify(obj));
  return dir;
};

describe("finalState", () => {
  test("success needs ok; aborts decide cancelled vs interrupted; otherwise failed", () => {
    expect(finalState(true, undefined)).toBe("done");
    expect(finalState(true, "cancel")).toBe("done");
    expect(finalState(false, "cancel")).toBe("cancelled");
    expect(finalState(false, "shutdown")).toBe("interrupted");
    expect(finalState(false, undefined)).toBe("failed");
  });
});

describe("takeIn", () => {
  test("a valid job is accepted once; the same file again is a replay and leaves the first result alone", () => {
    const { layout, events, runDir, journal } = setup();
    const deps = { layout, secret: SECRET, maxAgeMs: 3_600_000, now: Date.now, journal };
    const signed = signJob(newJob(), SECRET);
    expect(takeIn(deps, place(runDir, signed), signed.id)?.id).toBe(signed.id);
    writeResult(layout, { id: signed.id, kind: "script", state: "done", outcome: "first", finishedAt: "t" });
    expect(takeIn(deps, place(runDir, signed), signed.id)).toBeUndefined();
    expect(events.at(-1)).toMatchObject({ event: "rejected", reason: "replayed", id: signed.id });
    expect(readResult(layout, signed.id)?.outcome).toBe("first");
    expect(readdirSync(layout.rejected).length).toBe(1);
  });
  test("a job with a result is a replay even when its replay markers are gone", () => {
    const { layout, events, runDir, journal } = setup();
    const deps = { layout, secret: SECRET, maxAgeMs: 3_600_000, now: Date.now, journal };
    const signed = signJob(newJob(), SECRET);
    writeResult(layout, { id: signed.id, kind: "script", state: "done", outcome: "first", finishedAt: "t" }, SECRET);
    expect(takeIn(deps, place(runDir, signed), signed.id)).toBeUndefined();
    expect(events.at(-1)).toMatchObject({ reason: "replayed" });
    expect(readResult(layout, signed.id, SECRET)?.outcome).toBe("first");
  });
  test("a new nonce with a seen id, and a seen nonce with a new id, are replays", () => {
    const { layout, events, runDir, journal } = setup();
    const deps = { layout, secret: SECRET, maxAgeMs: 3_600_000, now: Date.now, journal };
    const first = newJob();
    takeIn(deps, place(runDir, signJob(first, SECRET)), first.id);
    const sameId = signJob({ ...first, nonce: newNonce() }, SECRET);
    expect(takeIn(deps, place(runDir, sameId), sameId.id)).toBeUndefined();
    const sameNonce = signJob({ ...newJob(), nonce: first.nonce }, SECRET);
    expect(takeIn(deps, place(runDir, sameNonce), sameNonce.id)).toBeUndefined();
    expect(events.filter((e) => e.reason === "replayed").length).toBe(2);
  });
  test("forged jobs get a rejected result unless their id belongs to a real job", () => {
    const { layout, runDir, journal } = setup();
    const deps = { layout, secret: SECRET, maxAgeMs: 3_600_000, now: Date.now, journal };
    const forged = signJob(newJob(), "x".repeat(64));
    expect(takeIn(deps, place(runDir, forged), forged.id)).toBeUndefined();
    expect(readResult(layout, forged.id)).toMatchObject({ state: "rejected", error: { code: "AUTH_FAILED" } });
    const real = newJob();
    takeIn(deps, place(runDir, signJob(real, SECRET)), real.id);
    const forgedCopy = signJob(real, "x".repeat(64));
    expect(takeIn(deps, place(runDir, forgedCopy), real.id)).toBeUndefined();
    expect(readResult(layout, real.id)).toBeUndefined();
  });
  test("a file name that does not match the id, or a symlinked job file, is refused", () => {
    const { layout, runDir, journal } = setup();
    const deps = { layout, secret: SECRET, maxAgeMs: 3_600_000, now: Date.now, journal };
    const a = signJob(newJob(), SECRET);
    const other = newJobId("script");
    expect(takeIn(deps, place(runDir, a, `${other}.json`), other)).toBeUndefined();
    const b = signJob(newJob(), SECRET);
    place(layout.d.tmp, b);
    symlinkSync(join(layout.tmp, `${b.id}.json`), join(runDir.path, `${b.id}.json`));
    expect(takeIn(deps, runDir, b.id)).toBeUndefined();
    expect(readResult(layout, b.id)?.error?.message).toContain("symlink");
  });
});

describe("runJob", () => {
  const options: WorkerOptions = {
    concurrency: 1,
    allowRoots: ["/"],
    scriptsDir: "/nonexistent",
    permissionMode: "default",
    timeoutMs: 1000,
    graceMs: 50,
    once: false,
  };
  const config = loadConfig({ env: { BRIDGE_ROOT: "/tmp/unused" }, readFile: () => undefined });
  async function run(handler: JobHandler | undefined, opts: { abort?: AbortCause; cancelFile?: boolean } = {}) {
    const s = setup();
    const job = newJob();
    place(s.runDir, signJob(job, SECRET));
    if (opts.cancelFile) requestCancel(s.layout, job.id, SECRET);
    const controller = new AbortController();
    let cause: AbortCause | undefined;
    if (opts.abort)
      setTimeout(() => {
        cause = opts.abort;
        controller.abort(opts.abort);
      }, 20);
    const result = await runJob(
      {
        layout: s.layout,
        journal: s.journal,
        now: Date.now,
        log,
        config,
        options,
        runDir: s.runDir,
        workerId: WORKER,
        claimedAt: new Date().toISOString(),
        handler,
        secret: SECRET,
      },
      job,
      controller,
      () => cause,
    );
    return { ...s, job, result };
  }
  test("ok → done, with progress and archived job file", async () => {
    const { result, layout, job, runDir } = await run(async (_j, ctx) => {
      ctx.progress({ message: "step 1" });
      ctx.progress({ message: "x".repeat(5000) });
      return { ok: true, outcome: { n: 1 } };
    });
    expect(result).toMatchObject({ state: "done", outcome: { n: 1 } });
    expect(readResult(layout, job.id, SECRET)).toMatchObject({ state: "done" });
    expect(readResult(layout, job.id, "wrong".repeat(10))).toBeUndefined();
    expect(result.error).toBeUndefined();
    const lines = readFileSync(join(layout.progress, `${job.id}.jsonl`), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.seq)).toEqual([1, 2]);
    expect(lines[1].message.length).toBe(2000);
    expect(existsSync(join(layout.jobs, `${job.id}.json`))).toBe(true);
    expect(readdirSync(runDir.path)).toEqual([]);
  });
  test("ok=false, a throw, or no error given are failures, never success", async () => {
    expect(
      (await run(async () => ({ ok: false, outcome: null, error: { code: "X", message: "m" } }))).result,
    ).toMatchObject({ state: "failed", error: { code: "X" } });
    expect(
      (
        await run(async () => {
          throw new Error("boom");
        })
      ).result,
    ).toMatchObject({ state: "failed", error: { code: "INTERNAL", message: expect.stringContaining("boom") } });
    expect((await run(async () => ({ ok: false, outcome: null }))).result).toMatchObject({
      state: "failed",
      error: { code: "INTERNAL" },
    });
    expect((await run(undefined)).result).toMatchObject({
      state: "failed",
      error: { message: expect.stringContaining("no handler") },
    });
    expect((await run(async () => ({ ok: true, outcome: { f: () => 1, big: 10n } as never }))).result.state).toBe(
      "failed",
    );
  });
  test("aborts: cancel → cancelled, shutdown → interrupted keeping the checkpoint; a pre-existing cancel file skips the run", async () => {
    const waitAbort: JobHandler = async (_j, ctx) => {
      ctx.checkpoint({ session_id: "abc" });
      await new Promise((r) => ctx.signal.addEventListener("abort", r));
      return { ok: false, outcome: undefined } as unknown as HandlerResult;
    };
    expect((await run(waitAbort, { abort: "cancel" })).result).toMatchObject({
      state: "cancelled",
      error: { code: "CANCELLED" },
      outcome: { session_id: "abc" },
    });
    expect((await run(waitAbort, { abort: "shutdown" })).result).toMatchObject({
      state: "interrupted",
      error: { code: "JOB_INTERRUPTED" },
      outcome: { session_id: "abc" },
    });
    let ran = false;
    expect(
      (
        await run(
          async () => {
            ran = true;
            return { ok: true, outcome: 1 };
          },
          { cancelFile: true },
        )
      ).result.state,
    ).toBe("cancelled");
    expect(ran).toBe(false);
  });
});
