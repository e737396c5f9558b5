import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { signJob, signRecord } from "../../../src/queue/auth.ts";
import { newJobId, newNonce } from "../../../src/queue/ids.ts";
import { ensureLayout, type QueueLayout } from "../../../src/queue/layout.ts";
import { readResult, signHeartbeat, writeResult } from "../../../src/queue/store.ts";
import type { Heartbeat, JobKind } from "../../../src/queue/types.ts";
import { collectGarbage } from "../../../src/worker/gc.ts";
import { recoverOrphans, workerIsGone } from "../../../src/worker/recovery.ts";

const SECRET = "s".repeat(64);
let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
const NOW = Date.now();
const beat = (over: Partial<Heartbeat> = {}): Heartbeat => ({
  workerId: "w-4242-0000000a",
  pid: 4242,
  hostname: hostname(),
  version: "v",
  startedAt: "s",
  at: new Date(NOW).toISOString(),
  concurrency: 1,
  running: [],
  draining: false,
  ...over,
});

describe("workerIsGone", () => {
  test("same host: decided by the pid; other host: by heartbeat age; no heartbeat: gone", () => {
    expect(workerIsGone(beat(), NOW, hostname(), () => true)).toBe(false);
    expect(workerIsGone(beat(), NOW, hostname(), () => false)).toBe(true);
    expect(workerIsGone(beat({ hostname: "other-host.invalid" }), NOW + 5000, hostname(), () => false)).toBe(false);
    expect(workerIsGone(beat({ hostname: "other-host.invalid" }), NOW + 60_000, hostname(), () => true)).toBe(true);
    expect(workerIsGone(undefined, NOW, hostname(), () => true)).toBe(true);
  });
});

function setup() {
  const root = mkdtempSync(join(tmpdir(), "bridge-unit-recovery-"));
  dirs.push(root);
  const layout = ensureLayout({ root });
  const events: Record<string, unknown>[] = [];
  return { layout, events, journal: (e: Record<string, unknown>) => void events.push(e) };
}
/** A signed job file in `dir`; `taken` adds the replay marker a worker's intake creates. */
function job(layout: QueueLayout, dir: string, kind: JobKind = "script", taken = true): string {
  const id = newJobId(kind);
  const body = kind === "script" ? { name: "n", args: [] } : { request: "r" };
  writeFileSync(
    join(dir, `${id}.json`),
    JSON.stringify(
      signJob({ id, kind, createdAt: new Date().toISOString(), nonce: newNonce(), body } as never, SECRET),
    ),
  );
  if (taken) writeFileSync(join(layout.seen, `i-${id}`), "");
  return id;
}
const checkpoint = (dir: string, id: string, worker: string, extra: Record<string, unknown> = {}) =>
  writeFileSync(
    join(dir, `${id}.checkpoint.json`),
    JSON.stringify(signRecord("checkpoint", { job: id, worker, claimedAt: "2026-01-01T00:00:00Z", ...extra }, SECRET)),
  );
const heartbeat = (layout: QueueLayout, b: Heartbeat) =>
  writeFileSync(join(layout.workers, `${b.workerId}.json`), JSON.stringify(signHeartbeat(b, SECRET)));

describe("recoverOrphans", () => {
  const DEAD = "w-1001-0000000a";
  const LIVE = "w-1002-0000000b";
  const deps = (s: ReturnType<typeof setup>, now = NOW) => ({
    layout: s.layout,
    journal: s.journal,
    now: () => now,
    selfId: "w-1-0000000c",
    secret: SECRET,
    pidAlive: (pid: number) => pid === 1002,
  });

  test("jobs a dead worker claimed become interrupted with their signed checkpoint; live workers are left alone", () => {
    const s = setup();
    const { layout, events } = s;
    const dead = join(layout.running, DEAD);
    const live = join(layout.running, LIVE);
    mkdirSync(dead);
    mkdirSync(live);
    const started = job(layout, dead, "claude");
    checkpoint(dead, started, DEAD, { startedAt: "2026-01-01T00:00:01Z", outcome: { session_id: "sess" } });
    const claimedOnly = job(layout, dead);
    checkpoint(dead, claimedOnly, DEAD);
    const liveJob = job(layout, live);
    heartbeat(layout, beat({ workerId: DEAD, pid: 1001 }));
    heartbeat(layout, beat({ workerId: LIVE, pid: 1002 }));
    const marked = recoverOrphans(deps(s));
    expect(marked.sort()).toEqual([started, claimedOnly].sort());
    expect(readResult(layout, started, SECRET)).toMatchObject({
      state: "interrupted",
      outcome: { session_id: "sess" },
      startedAt: "2026-01-01T00:00:01Z",
      error: { code: "JOB_INTERRUPTED" },
      recovered: true,
    });
    expect(readResult(layout, started)?.error?.hint).toContain("session_id");
    expect(readResult(layout, claimedOnly)?.error?.message).toContain("not yet started");
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(join(layout.workers, `${DEAD}.json`))).toBe(false);
    expect(readdirSync(live)).toEqual([`${liveJob}.json`]);
    expect(readResult(layout, liveJob)).toBeUndefined();
    expect(events.filter((e) => e.event === "interrupted").length).toBe(2);
    // Running it again changes nothing (idempotent, never a second result).
    expect(recoverOrphans(deps(s))).toEqual([]);
  });
  test("a fresh running dir without a heartbeat yet is given time; an old one is recovered", () => {
    const s = setup();
    const dir = join(s.layout.running, "w-4206969-0000000d");
    mkdirSync(dir);
    const id = job(s.layout, dir);
    checkpoint(dir, id, "w-4206969-0000000d", { startedAt: "t" });
    expect(recoverOrphans({ ...deps(s), now: () => Date.now() })).toEqual([]);
    expect(recoverOrphans({ ...deps(s), now: () => Date.now() + 60_000 })).toEqual([id]);
  });
  test("a result already written is kept; the job file is still archived", () => {
    const s = setup();
    const dir = join(s.layout.running, DEAD);
    mkdirSync(dir);
    const id = job(s.layout, dir);
    checkpoint(dir, id, DEAD, { startedAt: "t" });
    writeResult(s.layout, { id, kind: "script", state: "done", outcome: 1, finishedAt: "t" }, SECRET);
    expect(recoverOrphans(deps(s, NOW + 60_000))).toEqual([]);
    expect(readResult(s.layout, id)?.state).toBe("done");
    expect(existsSync(join(s.layout.jobs, `${id}.json`))).toBe(true);
  });
  test("a signed job its worker never started goes back to incoming/; the real worker's result supersedes a recovered one", () => {
    const s = setup();
    const dir = join(s.layout.running, DEAD);
    mkdirSync(dir);
    const id = job(s.layout, dir, "script", false);
    expect(recoverOrphans(deps(s, NOW + 60_000))).toEqual([]);
    expect(existsSync(join(s.layout.incoming, `${id}.json`))).toBe(true);
    expect(readResult(s.layout, id)).toBeUndefined();
    const other = newJobId("script");
    writeResult(
      s.layout,
      { id: other, kind: "script", state: "interrupted", outcome: null, finishedAt: "t", recovered: true },
      SECRET,
    );
    expect(
      writeResult(s.layout, { id: other, kind: "script", state: "done", outcome: 1, finishedAt: "t" }, SECRET),
    ).toBe(false);
    expect(
      writeResult(s.layout, { id: other, kind: "script", state: "done", outcome: 1, finishedAt: "t" }, SECRET, {
        supersedeRecovered: true,
      }),
    ).toBe(true);
    expect(readResult(s.layout, other, SECRET)?.state).toBe("done");
  });
});

describe("collectGarbage", () => {
  test("removes finished jobs past retention and old replay markers, keeps recent ones", () => {
    const { layout } = setup();
    const old = newJobId("script");
    const fresh = newJobId("script");
    for (const id of [old, fresh]) {
      writeResult(layout, { id, kind: "script", state: "done", outcome: 1, finishedAt: "t" }, SECRET);
      writeFileSync(join(layout.jobs, `${id}.json`), "{}");
      writeFileSync(join(layout.progress, `${id}.jsonl`), "");
    }
    const nOld = `n-${"a".repeat(32)}`;
    const nNew = `n-${"b".repeat(32)}`;
    writeFileSync(join(layout.seen, nOld), "");
    writeFileSync(join(layout.seen, nNew), "");
    const past = (NOW - 30 * 24 * 3600_000) / 1000;
    for (const p of [join(layout.results, `${old}.json`), join(layout.seen, nOld)]) utimesSync(p, past, past);
    // ctime cannot be set back; the GC clock is moved forward instead, with the fresh files touched "now".
    const later = NOW + 10 * 24 * 3600_000;
    for (const p of [
      join(layout.results, `${fresh}.json`),
      join(layout.seen, nNew),
      join(layout.progress, `${fresh}.jsonl`),
    ])
      utimesSync(p, later / 1000, later / 1000);
    const removed = collectGarbage({
      layout,
      journal: () => {},
      now: () => later,
      secret: SECRET,
      retentionMs: 7 * 24 * 3600_000,
      maxAgeMs: 24 * 3600_000,
    });
    expect(removed).toBeGreaterThan(0);
    expect(readResult(layout, old)).toBeUndefined();
    expect(existsSync(join(layout.jobs, `${old}.json`))).toBe(false);
    expect(readResult(layout, fresh)?.state).toBe("done");
    expect(existsSync(join(layout.seen, nOld))).toBe(false);
    expect(existsSync(join(layout.seen, nNew))).toBe(true);
  });
});
