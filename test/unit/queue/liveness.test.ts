/** Worker liveness: same-host pid checks, pid namespaces, stale heartbeats, clean stops, and the notes built from them. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jobWorkerNote } from "../../../src/mcp/job-wait.ts";
import { deathOf, offlineReason, recordWorkerStop, workerLiveness, type LivenessProbe } from "../../../src/queue/liveness.ts";
import { ensureLayout } from "../../../src/queue/layout.ts";
import type { Heartbeat, JobStatus } from "../../../src/queue/types.ts";

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const now = Date.parse("2026-11-23T00:00:10Z");
const beat = (over: Partial<Heartbeat> = {}): Heartbeat => ({
  workerId: "w-42-ab", pid: 42, hostname: "here", version: "v", startedAt: "s", at: "2026-11-23T00:00:09.500Z", concurrency: 1, running: [], draining: false, ...over,
});
const probe = (alive: number[], ns?: string): LivenessProbe => ({ host: "here", pidNamespace: ns, pidAlive: (p) => alive.includes(p) });

describe("deathOf", () => {
  test("same host: a dead pid is death at once, even with a fresh heartbeat", () => {
    expect(deathOf(beat(), now, probe([42]))).toBeUndefined();
    expect(deathOf(beat(), now, probe([]))).toContain("its process (pid 42) is gone");
  });
  test("another pid namespace or host: only the heartbeat's age counts", () => {
    expect(deathOf(beat({ pidNamespace: "pid:[1]" }), now, probe([], "pid:[2]"))).toBeUndefined();
    expect(deathOf(beat({ hostname: "vm" }), now, probe([]))).toBeUndefined();
    expect(deathOf(beat({ hostname: "vm", at: "2026-11-22T23:59:55.000Z" }), now, probe([]))).toContain("no heartbeat for 15 s");
    expect(deathOf(beat({ pidNamespace: "pid:[1]" }), now, probe([], "pid:[1]"))).toContain("is gone");
  });
});

describe("workerLiveness and notes", () => {
  const layoutWith = (beats: Heartbeat[]) => {
    const root = mkdtempSync(join(tmpdir(), "bridge-liveness-"));
    dirs.push(root);
    const layout = ensureLayout({ root });
    for (const b of beats) writeFileSync(join(layout.workers, `${b.workerId}.json`), JSON.stringify(b));
    return layout;
  };
  const running: JobStatus = { id: "c-0mwsl6vxv-dfb50ee2f4e90fce", kind: "claude", state: "running", createdAt: "2026-11-23T00:00:00.000Z", summary: "x", worker: "w-42-ab" };

  test("a killed same-host worker: not alive, listed as dead with why; the running job's note says it is not re-run", () => {
    const w = { ...workerLiveness(layoutWith([beat()]), now, probe([])), startCommand: "bridge worker" };
    expect(w.alive).toBe(false);
    expect(w.dead?.[0]).toMatchObject({ workerId: "w-42-ab" });
    expect(offlineReason(w)).toContain("worker w-42-ab (pid 42 on here) died: its process (pid 42) is gone");
    const note = jobWorkerNote(running, w)!;
    expect(note).toContain(`Job ${running.id} was running on worker w-42-ab (pid 42 on here), which died`);
    expect(note).toContain("will not be re-run");
    expect(note).toContain("next worker to start records it as interrupted");
    expect(note).toContain("session_id");
    expect(note).not.toContain("run when");
    const queued = jobWorkerNote({ ...running, state: "queued", worker: undefined }, w)!;
    expect(queued).toContain("is queued and kept; it runs when a worker starts");
  });

  test("a live worker: no note; a clean stop is remembered", () => {
    const layout = layoutWith([beat()]);
    const w = { ...workerLiveness(layout, now, probe([42])), startCommand: "bridge worker" };
    expect(w.alive).toBe(true);
    expect(jobWorkerNote(running, w)).toBeUndefined();
    const empty = layoutWith([]);
    expect(offlineReason(workerLiveness(empty, now, probe([])))).toBe("No bridge worker has run for this queue yet.");
    recordWorkerStop(empty, { workerId: "w-7-cd", pid: 7, hostname: "here", stoppedAt: "2026-11-23T00:00:05.000Z", reason: "SIGTERM" });
    expect(offlineReason(workerLiveness(empty, now, probe([])))).toBe("The last bridge worker w-7-cd (pid 7 on here) stopped cleanly at 2026-11-23T00:00:05.000Z (SIGTERM).");
  });
});
