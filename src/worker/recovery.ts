/**
 * Recovery and retention. A job left in running/<worker>/ by a worker that is gone (its pid is
 * dead on this host, or its heartbeat went stale elsewhere) is marked `interrupted` with the
 * reason and whatever partial outcome it checkpointed — it is never re-run. GC removes finished
 * jobs past retention, old replay markers, quarantined files and stray temp files.
 */
import { readdirSync, renameSync, rmSync, statSync, rmdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { MAX_FUTURE_SKEW_MS } from "../queue/auth.ts";
import { readJson, removeQuietly } from "../queue/fsutil.ts";
import { JOB_ID_RE, kindOfId } from "../queue/ids.ts";
import type { Journal } from "../queue/journal.ts";
import type { QueueLayout } from "../queue/layout.ts";
import { readResult, writeResult } from "../queue/store.ts";
import { HeartbeatSchema } from "../queue/schema.ts";
import { HEARTBEAT_STALE_MS, type Heartbeat } from "../queue/types.ts";

const JOURNAL_ROTATE_BYTES = 16 * 1024 * 1024;

export interface RecoveryDeps {
  layout: QueueLayout;
  journal: Journal;
  now: () => number;
  selfId: string;
  /** Signs the results recovery writes (absent in tests that do not check signatures). */
  secret?: string;
  /** Whether a pid is alive on this host (injectable for tests). */
  pidAlive?: (pid: number) => boolean;
}

export function defaultPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether the worker that owns running/<workerId> is gone. Pure given its heartbeat. */
export function workerIsGone(beat: Heartbeat | undefined, nowMs: number, host: string, pidAlive: (pid: number) => boolean): boolean {
  if (!beat) return true;
  if (beat.hostname === host) return !pidAlive(beat.pid);
  return nowMs - Date.parse(beat.at) > HEARTBEAT_STALE_MS;
}

const list = (dir: string): string[] => {
  try { return readdirSync(dir); } catch { return []; }
};

/** Marks jobs of gone workers interrupted and removes their leftovers. Returns the ids marked. */
export function recoverOrphans(deps: RecoveryDeps): string[] {
  const { layout, journal } = deps;
  const host = hostname();
  const alive = deps.pidAlive ?? defaultPidAlive;
  const marked: string[] = [];
  for (const workerId of list(layout.running)) {
    if (workerId === deps.selfId) continue;
    const beatFile = join(layout.workers, `${workerId}.json`);
    const parsed = HeartbeatSchema.safeParse(safeJson(beatFile));
    const beat = parsed.success ? parsed.data : undefined;
    // A worker that has just claimed may not have written its first beat yet: give it the stale window.
    if (!beat && deps.now() - mtimeMs(join(layout.running, workerId)) < HEARTBEAT_STALE_MS) continue;
    if (!workerIsGone(beat, deps.now(), host, alive)) continue;
    const dir = join(layout.running, workerId);
    for (const f of list(dir)) {
      if (!f.endsWith(".json") || f.endsWith(".checkpoint.json")) continue;
      const id = f.slice(0, -5);
      if (!JOB_ID_RE.test(id)) continue;
      const checkpoint = safeJson(join(dir, `${id}.checkpoint.json`)) as { startedAt?: string; outcome?: unknown } | undefined;
      const who = beat ? `worker ${beat.pid} on ${beat.hostname}` : `worker ${workerId}`;
      const wrote = writeResult(layout, {
        id,
        kind: kindOfId(id)!,
        state: "interrupted",
        outcome: checkpoint?.outcome ?? null,
        error: {
          code: "JOB_INTERRUPTED",
          message: `${who} stopped while the job was running${checkpoint?.startedAt ? ` (started ${checkpoint.startedAt})` : " (claimed, not yet started)"}; it was not re-run.`,
          hint: kindOfId(id) === "claude" ? "Submit it again; pass the session_id in the outcome to resume the Claude session." : "Check what the script did, then submit it again if needed.",
        },
        startedAt: checkpoint?.startedAt,
        finishedAt: new Date(deps.now()).toISOString(),
      }, deps.secret);
      try { renameSync(join(dir, f), join(layout.jobs, f)); } catch { /* another recoverer moved it */ }
      if (wrote) {
        marked.push(id);
        journal({ event: "interrupted", id, worker: workerId, reason: "worker gone" });
      }
    }
    rmSync(dir, { recursive: true, force: true });
    removeQuietly(beatFile);
  }
  // Jobs archived without a result (a canceller or finisher died between the two steps).
  for (const f of list(layout.jobs)) {
    const id = f.slice(0, -5);
    if (!JOB_ID_RE.test(id) || readResult(layout, id)) continue;
    if (deps.now() - mtimeMs(join(layout.jobs, f)) < HEARTBEAT_STALE_MS) continue;
    if (writeResult(layout, { id, kind: kindOfId(id)!, state: "interrupted", outcome: null, error: { code: "JOB_INTERRUPTED", message: "The process finishing this job stopped before recording its result; it was not re-run." }, finishedAt: new Date(deps.now()).toISOString() }, deps.secret)) {
      marked.push(id);
      journal({ event: "interrupted", id, reason: "no result recorded" });
    }
  }
  // Heartbeats of gone workers with nothing running.
  for (const f of list(layout.workers)) {
    const parsed = HeartbeatSchema.safeParse(safeJson(join(layout.workers, f)));
    if (parsed.success && parsed.data.workerId !== deps.selfId && workerIsGone(parsed.data, deps.now(), host, alive)) removeQuietly(join(layout.workers, f));
  }
  return marked;
}

function safeJson(path: string): unknown {
  try { return readJson(path); } catch { return undefined; }
}

function mtimeMs(path: string): number {
  try { const st = statSync(path); return Math.max(st.mtimeMs, st.ctimeMs); } catch { return 0; }
}

/** Removes what is past retention. Returns how many files were removed. */
export function collectGarbage(deps: RecoveryDeps & { retentionMs: number; maxAgeMs: number }): number {
  const { layout, now } = deps;
  let removed = 0;
  const older = (path: string, ms: number) => now() - mtimeMs(path) > ms;
  for (const f of list(layout.results)) {
    const id = f.slice(0, -5);
    const path = join(layout.results, f);
    if (!older(path, deps.retentionMs)) continue;
    for (const p of [join(layout.jobs, `${id}.json`), join(layout.progress, `${id}.jsonl`), join(layout.cancel, id), path]) {
      try { removeQuietly(p); removed++; } catch { /* keep going */ }
    }
  }
  // Replay markers must outlive the window in which a copied job would still pass the age check.
  const seenWindow = deps.maxAgeMs + MAX_FUTURE_SKEW_MS + 3_600_000;
  for (const f of list(layout.seen)) if (older(join(layout.seen, f), seenWindow)) { removeQuietly(join(layout.seen, f)); removed++; }
  for (const f of list(layout.rejected)) if (older(join(layout.rejected, f), deps.retentionMs)) { removeQuietly(join(layout.rejected, f)); removed++; }
  for (const f of list(layout.tmp)) if (older(join(layout.tmp, f), 3_600_000)) { removeQuietly(join(layout.tmp, f)); removed++; }
  for (const f of list(layout.cancel)) if (older(join(layout.cancel, f), deps.retentionMs)) { removeQuietly(join(layout.cancel, f)); removed++; }
  // The journal is append-only; past JOURNAL_ROTATE_BYTES it is moved to journal.1.jsonl (one generation kept).
  try {
    if (statSync(layout.journal).size > JOURNAL_ROTATE_BYTES) renameSync(layout.journal, layout.journal.replace(/\.jsonl$/, ".1.jsonl"));
  } catch { /* no journal yet */ }
  if (removed) deps.journal({ event: "gc", removed });
  return removed;
}

/** Removes an empty directory, ignoring errors. */
export function removeEmptyDir(path: string): void {
  try { rmdirSync(path); } catch { /* not empty or gone */ }
}
