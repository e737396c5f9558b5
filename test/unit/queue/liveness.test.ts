/** Worker liveness: same-host pid checks, pid namespaces, stale heartbeats, clean stops, and the notes built from them — from signed records only. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jobWorkerNote } from "../../../src/mcp/job-wait.ts";
import {
  deathOf,
  offlineReason,
  recordWorkerStop,
  workerLiveness,
  type LivenessProbe,
} from "../../../src/queue/liveness.ts";
import { ensureLayout } from "../../../src/queue/layout.ts";
import { signHeartbeat } from "../../../src/queue/store.ts";
import type { Heartbeat, JobStatus } from "../../../src/queue/types.ts";

const SECRET = "s".repeat(64);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const now = Date.parse("2026-11-23T00:00:10Z");
const beat = (over: Partial<Heartbeat> = {}): Heartbeat => ({
  workerId: "w-42-000000ab",
  pid: 42,
  hostname: "here",
  version: "v",
  startedAt: "s",
  at: "2026-11-23T00:00:09.500Z",
  concurrency: 1,
  running: [],
  draining: false,
  ...over,
});
const probe = (alive: number[], ns?: string): LivenessProbe => ({
  host: "here",
  pidNamespace: ns,
  pidAlive: (p) => alive.includes(p),
});

describe("deathOf", () => {
  test("same host: a dead pid is death at once, even with a fresh heartbeat", () => {
    expect(deathOf(beat(), now, probe([42]))).toBeUndefined();
    expect(deathOf(beat(), now, probe([]))).toContain("its process (pid 42) is gone");
  });
  test("same host, live pid, stale heartbeat: hung or a reused pid, not alive", () => {
    expect(deathOf(beat({ at: "2026-11-22T23:59:55.000Z" }), now, probe([42]))).toContain("heartbeat stopped 15 s ago");
  });
  test("another pid namespace or host: only the heartbeat's age counts", () => {
    expect(deathOf(beat({ pidNamespace: "pid:[1]" }), now, probe([], "pid:[2]"))).toBeUndefined();
    expect(deathOf(beat({ hostname: "vm" }), now, probe([]))).toBeUndefined();
    expect(deathOf(beat({ hostname: "vm", at: "2026-11-22T23:59:55.000Z" }), now, probe([]))).toContain(
      "no heartbeat for 15 s",
    );
    expect(deathOf(beat({ pidNamespace: "pid:[1]" }), now, probe([], "pid:[1]"))).toContain("is gone");
  });
});

describe("workerLiveness and notes", () => {
  const layoutWith = (beats: Heartbeat[]) => {
    const root = mkdtempSync(join(tmpdir(), "bridge-liveness-"));
    dirs.push(root);
    const layout = ensureLayout({ root });
    for (const b of beats)
      writeFileSync(join(layout.workers, `${b.workerId}.json`), JSON.stringify(signHeartbeat(b, SECRET)));
    return layout;
  };
  const running: JobStatus = {
    id: "c-0mwsl6vxv-dfb50ee2f4e90fce",
    kind: "claude",
    state: "running",
    createdAt: "2026-11-23T00:00:00.000Z",
    summary: "x",
    worker: "w-42-000000ab",
  };

  test("a killed same-host worker: not alive, listed as dead with why; the running job's note says it is not re-run", () => {
    const w = {
      ...workerLiveness(layoutWith([beat({ running: [running.id] })]), now, SECRET, probe([])),
      startCommand: "bridge worker",
    };
    expect(w.alive).toBe(false);
    expect(w.dead?.[0]).toMatchObject({ workerId: "w-42-000000ab" });
    expect(offlineReason(w)).toContain("worker w-42-000000ab (pid 42 on here) died: its process (pid 42) is gone");
    const note = jobWorkerNote(running, w)!;
    expect(note).toContain(`Job ${running.id} was running on worker w-42-000000ab (pid 42 on here), which died`);
    expect(note).toContain("will not be re-run");
    expect(note).toContain("next worker to start records it as interrupted");
    expect(note).toContain("session_id");
    expect(note).not.toContain("run when");
    const queued = jobWorkerNote({ ...running, state: "queued", worker: undefined }, w)!;
    expect(queued).toContain("is queued and kept; it runs when a worker starts");
  });

  test("a live worker: no note; a clean stop is remembered", () => {
    const layout = layoutWith([beat()]);
    const w = { ...workerLiveness(layout, now, SECRET, probe([42])), startCommand: "bridge worker" };
    expect(w.alive).toBe(true);
    expect(jobWorkerNote(running, w)).toBeUndefined();
    const empty = layoutWith([]);
    expect(offlineReason(workerLiveness(empty, now, SECRET, probe([])))).toBe(
      "No bridge worker is running, and none has run for this queue yet.",
    );
    recordWorkerStop(
      empty,
      { workerId: "w-7-cd", pid: 7, hostname: "here", stoppedAt: "2026-11-23T00:00:05.000Z", reason: "SIGTERM" },
      SECRET,
    );
    expect(offlineReason(workerLiveness(empty, now, SECRET, probe([])))).toBe(
      "No bridge worker is running. The last bridge worker w-7-cd (pid 7 on here) stopped cleanly at 2026-11-23T00:00:05.000Z (SIGTERM).",
    );
    // Read with another token (or planted without one), the record does not count.
    expect(offlineReason(workerLiveness(empty, now, "x".repeat(64), probe([])))).toBe(
      "No bridge worker is running, and none has run for this queue yet.",
    );
  });
});

describe("what a co-writer without the token can plant", () => {
  const running: JobStatus = {
    id: "c-0mwsl6vxv-dfb50ee2f4e90fce",
    kind: "claude",
    state: "running",
    createdAt: "2026-11-23T00:00:00.000Z",
    summary: "x",
    worker: "w-42-000000ab",
  };
  const layoutWith = (files: Record<string, unknown>) => {
    const root = mkdtempSync(join(tmpdir(), "bridge-liveness-"));
    dirs.push(root);
    const layout = ensureLayout({ root });
    for (const [name, v] of Object.entries(files)) writeFileSync(join(layout.workers, name), JSON.stringify(v));
    return layout;
  };
  test("an unsigned heartbeat of a dead pid is neither a live nor a dead worker; the running job gets no verdict", () => {
    const layout = layoutWith({ "w-42-000000ab.json": beat({ running: [running.id] }) });
    const w = { ...workerLiveness(layout, now, SECRET, probe([])), startCommand: "bridge worker" };
    expect(w.alive).toBe(false);
    expect(w.dead).toBeUndefined();
    expect(jobWorkerNote(running, w)).toBeUndefined();
    expect(offlineReason(w)).toBe("No bridge worker is running, and none has run for this queue yet.");
  });
  test("pidNamespace is signed: changing it breaks the heartbeat", () => {
    const signed = signHeartbeat(beat({ pidNamespace: "pid:[1]", running: [running.id] }), SECRET);
    const layout = layoutWith({ "w-42-000000ab.json": { ...signed, pidNamespace: "pid:[2]" } });
    expect(workerLiveness(layout, now, SECRET, probe([], "pid:[2]")).dead).toBeUndefined();
  });
  test("a genuine dead heartbeat that does not list the job, or a live worker that does, gives no 'died' verdict", () => {
    const other = "w-43-000000cd";
    const layout = layoutWith({
      "w-42-000000ab.json": signHeartbeat(beat(), SECRET),
      [`${other}.json`]: signHeartbeat(beat({ workerId: other, pid: 43, running: [running.id] }), SECRET),
    });
    const w = { ...workerLiveness(layout, now, SECRET, probe([43])), startCommand: "bridge worker" };
    expect(w.dead?.map((b) => b.workerId)).toEqual(["w-42-000000ab"]);
    expect(jobWorkerNote(running, w)).toBeUndefined();
    // Killed before its next beat listed the job: its signed checkpoint (status.claimed) is the proof.
    const onlyDead = { ...w, workers: [] };
    expect(jobWorkerNote({ ...running, claimed: true }, onlyDead)).toContain("which died");
    expect(jobWorkerNote(running, onlyDead)).toBeUndefined();
    // The job planted in the dead worker's directory is really running on the live one.
    const w2 = {
      ...workerLiveness(
        layoutWith({
          "w-42-000000ab.json": signHeartbeat(beat({ running: [running.id] }), SECRET),
          [`${other}.json`]: signHeartbeat(beat({ workerId: other, pid: 43, running: [running.id] }), SECRET),
        }),
        now,
        SECRET,
        probe([43]),
      ),
      startCommand: "bridge worker",
    };
    expect(jobWorkerNote(running, w2)).toBeUndefined();
  });
  test("the latest of a death and a clean stop is reported", () => {
    const w = {
      alive: false,
      workers: [],
      dead: [{ ...beat(), why: "gone" }],
      lastStop: {
        workerId: "w-7-000000cd",
        pid: 7,
        hostname: "here",
        stoppedAt: "2026-11-23T00:00:09.900Z",
        reason: "SIGTERM",
      },
    };
    expect(offlineReason(w)).toContain("stopped cleanly");
    expect(offlineReason({ ...w, lastStop: { ...w.lastStop, stoppedAt: "2026-11-23T00:00:01.000Z" } })).toContain(
      "died: gone",
    );
  });
});
