import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { newJobId } from "../../../src/queue/ids.ts";
import { ensureLayout } from "../../../src/queue/layout.ts";
import { readResult, writeResult } from "../../../src/queue/store.ts";
import type { Heartbeat } from "../../../src/queue/types.ts";
import { collectGarbage, recoverOrphans, workerIsGone } from "../../../src/worker/recovery.ts";

let dirs: string[] = [];
afterEach(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); dirs = []; });
const NOW = Date.now();
const beat = (over: Partial<Heartbeat> = {}): Heartbeat => ({ workerId: "w-1-a", pid: 4242, hostname: hostname(), version: "v", startedAt: "s", at: new Date(NOW).toISOString(), concurrency: 1, running: [], draining: false, ...over });

describe("workerIsGone", () => {
  test("same host: decided by the pid; other host: by heartbeat age; no heartbeat: gone", () => {
    expect(workerIsGone(beat(), NOW, hostname(), () => true)).toBe(false);
    expect(workerIsGone(beat(), NOW, hostname(), () => false)).toBe(true);
    expect(workerIsGone(beat({ hostname: "other-host.invalid" }), NOW + 5000, hostname(), () => false)).toBe(false);
    expect(workerIsGone(beat({ hostname: "other-host.invalid" }), NOW + 60_000, hostname(), () => true)).toBe(true);
    expect(workerIsGone(undefined, NOW, hostname(), () => true)).toBe(true);
  });
});

describe("recoverOrphans", () => {
  function setup() {
    const root = mkdtempSync(join(tmpdir(), "bridge-unit-recovery-"));
    dirs.push(root);
    const layout = ensureLayout({ root });
    const events: Record<string, unknown>[] = [];
    return { layout, events, journal: (e: Record<string, unknown>) => void events.push(e) };
  }
  test("jobs of a dead worker become interrupted with their checkpoint; live workers are left alone", () => {
    const { layout, events, journal } = setup();
    const dead = join(layout.running, "w-1-a");
    const live = join(layout.running, "w-2-b");
    mkdirSync(dead);
    mkdirSync(live);
    const started = newJobId("claude");
    const claimedOnly = newJobId("script");
    const liveJob = newJobId("script");
    writeFileSync(join(dead, `${started}.json`), "{}");
    writeFileSync(join(dead, `${started}.checkpoint.json`), JSON.stringify({ startedAt: "2026-01-01T00:00:00Z", outcome: { session_id: "sess" } }));
    writeFileSync(join(dead, `${claimedOnly}.json`), "{}");
    writeFileSync(join(live, `${liveJob}.json`), "{}");
    writeFileSync(join(layout.workers, "w-1-a.json"), JSON.stringify(beat({ workerId: "w-1-a", pid: 1001 })));
    writeFileSync(join(layout.workers, "w-2-b.json"), JSON.stringify(beat({ workerId: "w-2-b", pid: 1002 })));
    const marked = recoverOrphans({ layout, journal, now: () => NOW, selfId: "w-self", pidAlive: (pid) => pid === 1002 });
    expect(marked.sort()).toEqual([started, claimedOnly].sort());
    expect(readResult(layout, started)).toMatchObject({ state: "interrupted", outcome: { session_id: "sess" }, startedAt: "2026-01-01T00:00:00Z", error: { code: "JOB_INTERRUPTED" } });
    expect(readResult(layout, started)?.error?.hint).toContain("session_id");
    expect(readResult(layout, claimedOnly)?.error?.message).toContain("not yet started");
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(join(layout.workers, "w-1-a.json"))).toBe(false);
    expect(readdirSync(live)).toEqual([`${liveJob}.json`]);
    expect(readResult(layout, liveJob)).toBeUndefined();
    expect(events.filter((e) => e.event === "interrupted").length).toBe(2);
    // Running it again changes nothing (idempotent, never a second result).
    expect(recoverOrphans({ layout, journal, now: () => NOW, selfId: "w-self", pidAlive: (pid) => pid === 1002 })).toEqual([]);
  });
  test("a fresh running dir without a heartbeat yet is given time; an old one is recovered", () => {
    const { layout, journal } = setup();
    const dir = join(layout.running, "w-9-z");
    mkdirSync(dir);
    const id = newJobId("script");
    writeFileSync(join(dir, `${id}.json`), "{}");
    expect(recoverOrphans({ layout, journal, now: () => Date.now(), selfId: "w-self", pidAlive: () => false })).toEqual([]);
    expect(recoverOrphans({ layout, journal, now: () => Date.now() + 60_000, selfId: "w-self", pidAlive: () => false })).toEqual([id]);
  });
  test("a result already written is kept; the job file is still archived", () => {
    const { layout, journal } = setup();
    const dir = join(layout.running, "w-1-a");
    mkdirSync(dir);
    const id = newJobId("script");
    writeFileSync(join(dir, `${id}.json`), "{}");
    writeResult(layout, { id, kind: "script", state: "done", outcome: 1, finishedAt: "t" });
    expect(recoverOrphans({ layout, journal, now: () => NOW + 60_000, selfId: "w-self", pidAlive: () => false })).toEqual([]);
    expect(readResult(layout, id)?.state).toBe("done");
    expect(existsSync(join(layout.jobs, `${id}.json`))).toBe(true);
  });
});

describe("collectGarbage", () => {
  test("removes finished jobs past retention and old replay markers, keeps recent ones", () => {
    const root = mkdtempSync(join(tmpdir(), "bridge-unit-gc-"));
    dirs.push(root);
    const layout = ensureLayout({ root });
    const old = newJobId("script");
    const fresh = newJobId("script");
    for (const id of [old, fresh]) {
      writeResult(layout, { id, kind: "script", state: "done", outcome: 1, finishedAt: "t" });
      writeFileSync(join(layout.jobs, `${id}.json`), "{}");
      writeFileSync(join(layout.progress, `${id}.jsonl`), "");
    }
    writeFileSync(join(layout.seen, "n-old"), "");
    writeFileSync(join(layout.seen, "n-new"), "");
    const past = (NOW - 30 * 24 * 3600_000) / 1000;
    for (const p of [join(layout.results, `${old}.json`), join(layout.seen, "n-old")]) utimesSync(p, past, past);
    // ctime cannot be set back; the GC clock is moved forward instead, with the fresh files touched "now".
    const later = NOW + 10 * 24 * 3600_000;
    for (const p of [join(layout.results, `${fresh}.json`), join(layout.seen, "n-new")]) utimesSync(p, later / 1000, later / 1000);
    const removed = collectGarbage({ layout, journal: () => {}, now: () => later, selfId: "w", retentionMs: 7 * 24 * 3600_000, maxAgeMs: 24 * 3600_000 });
    expect(removed).toBeGreaterThan(0);
    expect(readResult(layout, old)).toBeUndefined();
    expect(existsSync(join(layout.jobs, `${old}.json`))).toBe(false);
    expect(readResult(layout, fresh)?.state).toBe("done");
    expect(existsSync(join(layout.seen, "n-old"))).toBe(false);
    expect(existsSync(join(layout.seen, "n-new"))).toBe(true);
  });
});
