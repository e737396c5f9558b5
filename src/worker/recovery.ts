/**
 * Recovery: jobs left in running/<worker>/ by a worker that is gone (src/worker/liveness.ts) and
 * jobs archived without a result. Nothing unsigned becomes signed here: a job file counts only when
 * its HMAC holds, an `interrupted` result is written only for a job that worker provably claimed
 * (its signed checkpoint, bound to the job and the worker) and copies only the checkpoint's fields;
 * a signed job that was never claimed goes back to incoming/ (it never started) and anything else
 * is quarantined. Results recovery writes are provisional (`recovered: true`): the worker that
 * really ran the job replaces them. GC lives in src/worker/gc.ts.
 */
import { randomBytes } from "node:crypto";
import { linkSync, renameSync, rmdirSync } from "node:fs";
import { verifyJobSignature } from "../queue/auth.ts";
import type { QueueDir } from "../queue/dirs.ts";
import { entryExists, fileAgeStamp, readJsonQuietly, removeQuietly } from "../queue/fsutil.ts";
import { NAME_SHAPES, WORKER_ID_RE, kindOfId } from "../queue/ids.ts";
import type { Journal } from "../queue/journal.ts";
import { readHeartbeat, readResult, writeResult } from "../queue/store.ts";
import { HEARTBEAT_STALE_MS } from "../queue/types.ts";
import { readCheckpoint } from "../queue/checkpoint.ts";
import { ownerIsGone, type LivenessDeps } from "./liveness.ts";

export { defaultPidAlive, workerIsGone } from "./liveness.ts";
/** The worker's periodic maintenance is recovery plus GC; GC is exported here too. */
export { collectGarbage } from "./gc.ts";

export interface RecoveryDeps extends LivenessDeps {
  journal: Journal;
  selfId: string;
}

const MAX_JOB_FILE = 2 * 1024 * 1024;

/** Marks jobs of gone workers interrupted and cleans up after them. Returns the ids marked. */
export function recoverOrphans(deps: RecoveryDeps): string[] {
  const { layout } = deps;
  const marked: string[] = [];
  for (const workerId of layout.d.running.list()) {
    if (workerId === deps.selfId || !WORKER_ID_RE.test(workerId)) continue;
    const since = fileAgeStamp(layout.d.running, workerId) ?? 0;
    if (!ownerIsGone(deps, workerId, since)) continue;
    let dir: QueueDir;
    try {
      dir = layout.d.running.child(workerId);
    } catch {
      continue; // not a directory (a planted file or link): not a worker's
    }
    try {
      marked.push(...recoverDir(deps, workerId, dir));
    } finally {
      dir.close();
    }
    try {
      rmdirSync(layout.d.running.at(workerId));
    } catch {
      // Something bridge does not recognise is left: move the whole directory out of the way.
      const to = `${workerId}.${randomBytes(4).toString("hex")}.dir`;
      try {
        renameSync(layout.d.running.at(workerId), layout.d.rejected.at(to));
      } catch {
        /* gone meanwhile */
      }
      deps.journal({
        event: "rejected",
        worker: workerId,
        reason: "unknown files in a stopped worker's directory",
        movedTo: to,
      });
    }
    removeQuietly(layout.d.workers, `${workerId}.json`);
  }
  marked.push(...recoverArchived(deps));
  // Heartbeats of gone workers with nothing running; unsigned ones once they are old.
  for (const f of layout.d.workers.list()) {
    if (!NAME_SHAPES.heartbeat.test(f)) continue;
    const workerId = f.slice(0, -5);
    if (workerId === deps.selfId) continue;
    const beat = readHeartbeat(layout, f, deps.secret);
    const since = fileAgeStamp(layout.d.workers, f) ?? 0;
    if (beat ? ownerIsGone(deps, workerId, since) : deps.now() - since > HEARTBEAT_STALE_MS)
      removeQuietly(layout.d.workers, f);
  }
  return marked;
}

/** Handles every file in a gone worker's directory; returns the ids marked interrupted. */
function recoverDir(deps: RecoveryDeps, workerId: string, dir: QueueDir): string[] {
  const { layout, journal } = deps;
  const marked: string[] = [];
  const quarantine = (name: string, id: string, why: string) => {
    const to = `${id}.${randomBytes(4).toString("hex")}.json`;
    try {
      renameSync(dir.at(name), layout.d.rejected.at(to));
    } catch {
      return;
    }
    journal({ event: "rejected", id, worker: workerId, reason: why, movedTo: to });
  };
  for (const name of dir.list()) {
    if (!NAME_SHAPES.job.test(name)) continue;
    const id = name.slice(0, -5);
    const verdict = verifyJobSignature(readJsonQuietly(dir, name, MAX_JOB_FILE), deps.secret);
    if (!verdict.ok || verdict.job.id !== id) {
      quarantine(name, id, `recovery: ${verdict.ok ? "the job id does not match its file name" : verdict.message}`);
      continue;
    }
    const cp = readCheckpoint(dir, id, workerId, deps.secret);
    const verified = entryExists(layout.d.seen, `i-${id}`);
    if (!cp || (!cp.startedAt && !verified)) {
      if (!cp && verified) {
        // Verified and run somewhere, but not claimed by this worker: a copy.
        quarantine(name, id, "recovery: no signed claim by this worker (a copy of a job that ran elsewhere)");
      } else {
        requeue(deps, dir, name, id, workerId);
      }
      continue;
    }
    const kind = kindOfId(id)!;
    const who = `worker ${workerId}`;
    const wrote = writeResult(
      layout,
      {
        id,
        kind,
        state: "interrupted",
        outcome: cp.outcome ?? null,
        error: {
          code: "JOB_INTERRUPTED",
          message: `${who} stopped while the job was running${cp.startedAt ? ` (started ${cp.startedAt})` : " (claimed, not yet started)"}; it was not re-run.`,
          hint:
            kind === "claude"
              ? "Submit it again; pass the session_id in the outcome to resume the Claude session."
              : "Check what the script did, then submit it again if needed.",
        },
        startedAt: cp.startedAt,
        finishedAt: new Date(deps.now()).toISOString(),
        recovered: true,
      },
      deps.secret,
    );
    try {
      renameSync(dir.at(name), layout.d.jobs.at(name));
    } catch {
      /* another recoverer moved it */
    }
    if (wrote) {
      marked.push(id);
      journal({ event: "interrupted", id, worker: workerId, reason: "worker gone" });
    }
  }
  for (const name of dir.list()) if (NAME_SHAPES.checkpoint.test(name)) removeQuietly(dir, name);
  return marked;
}

/** A signed job its worker never claimed for certain: back to incoming/, where it is verified again. */
function requeue(deps: RecoveryDeps, dir: QueueDir, name: string, id: string, workerId: string): void {
  try {
    linkSync(dir.at(name), deps.layout.d.incoming.at(name));
    deps.journal({
      event: "requeued",
      id,
      worker: workerId,
      reason: "claimed by a worker that stopped before it started",
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") return; // leave it for the next pass
    // The same job is still queued: this was a copy.
  }
  removeQuietly(dir, name);
}

/**
 * Jobs archived without a result: a canceller or finisher died between its two steps. Acted on
 * only for a signed job file that is nowhere else (not queued, not running) and old enough.
 */
function recoverArchived(deps: RecoveryDeps): string[] {
  const { layout, journal } = deps;
  const marked: string[] = [];
  for (const name of layout.d.jobs.list()) {
    if (!NAME_SHAPES.job.test(name)) continue;
    const id = name.slice(0, -5);
    if (readResult(layout, id, deps.secret)) continue;
    const stamp = fileAgeStamp(layout.d.jobs, name, { regular: true });
    if (stamp === undefined || deps.now() - stamp < HEARTBEAT_STALE_MS) continue;
    const verdict = verifyJobSignature(readJsonQuietly(layout.d.jobs, name, MAX_JOB_FILE), deps.secret);
    if (!verdict.ok || verdict.job.id !== id || stillInFlight(deps, name)) continue;
    // Taken in by a worker (replay markers) → it ran; otherwise only a canceller moved it here.
    const ran = entryExists(layout.d.seen, `i-${id}`);
    const wrote = writeResult(
      layout,
      {
        id,
        kind: kindOfId(id)!,
        state: ran ? "interrupted" : "cancelled",
        outcome: null,
        error: ran
          ? {
              code: "JOB_INTERRUPTED",
              message: "The process finishing this job stopped before recording its result; it was not re-run.",
            }
          : {
              code: "CANCELLED",
              message: "Cancelled before it started (the cancelling process stopped before recording it).",
            },
        finishedAt: new Date(deps.now()).toISOString(),
        recovered: true,
      },
      deps.secret,
    );
    if (wrote) {
      marked.push(id);
      journal({ event: ran ? "interrupted" : "cancelled", id, reason: "no result recorded" });
    }
  }
  return marked;
}

/** Whether a job file of this name is queued or in any worker's running directory. */
function stillInFlight(deps: RecoveryDeps, name: string): boolean {
  if (entryExists(deps.layout.d.incoming, name)) return true;
  for (const w of deps.layout.d.running.list()) {
    try {
      const dir = deps.layout.d.running.child(w);
      try {
        if (entryExists(dir, name)) return true;
      } finally {
        dir.close();
      }
    } catch {
      /* not a directory */
    }
  }
  return false;
}
