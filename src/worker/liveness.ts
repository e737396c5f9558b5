/**
 * Whether a worker is gone, judged only from what a writer without the token cannot fake: a
 * signed heartbeat that names the worker (same host: is its pid alive; other host: is the beat
 * fresh), or, with no such heartbeat, the worker id's own pid and the age of what it left behind.
 */
import { hostname } from "node:os";
import { pidOfWorkerId } from "../queue/ids.ts";
import type { QueueLayout } from "../queue/layout.ts";
import { readHeartbeat } from "../queue/store.ts";
import { HEARTBEAT_STALE_MS, type Heartbeat } from "../queue/types.ts";

/** With no signed heartbeat, a worker whose pid is alive here counts as gone only after this long. */
export const UNSIGNED_LIVENESS_LIMIT_MS = 3_600_000;

export function defaultPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether the worker of a (verified) heartbeat is gone. Pure. */
export function workerIsGone(beat: Heartbeat | undefined, nowMs: number, host: string, pidAlive: (pid: number) => boolean): boolean {
  if (!beat) return true;
  if (beat.hostname === host) return !pidAlive(beat.pid);
  return nowMs - Date.parse(beat.at) > HEARTBEAT_STALE_MS;
}

export interface LivenessDeps {
  layout: QueueLayout;
  secret: string;
  now: () => number;
  pidAlive?: (pid: number) => boolean;
}

/**
 * Whether worker `workerId` is gone. `since` is when what it left (its running directory, a lock)
 * last changed: without a signed heartbeat a worker gets the stale window to write its first one,
 * and one whose pid is alive on this host gets UNSIGNED_LIVENESS_LIMIT_MS (its heartbeat may have
 * been deleted by someone else; it rewrites it every second).
 */
export function ownerIsGone(deps: LivenessDeps, workerId: string, since: number): boolean {
  const alive = deps.pidAlive ?? defaultPidAlive;
  const pid = pidOfWorkerId(workerId);
  const beat = readHeartbeat(deps.layout, `${workerId}.json`, deps.secret);
  if (beat && beat.pid === pid) return workerIsGone(beat, deps.now(), hostname(), alive);
  const age = deps.now() - since;
  if (age < HEARTBEAT_STALE_MS) return false;
  if (pid !== undefined && alive(pid) && age < UNSIGNED_LIVENESS_LIMIT_MS) return false;
  return true;
}
