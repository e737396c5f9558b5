/**
 * Whether a worker is gone, for recovery and directory locks, judged only from what a writer
 * without the token cannot fake: a signed heartbeat that names the worker (same host and pid
 * namespace, src/queue/liveness.ts: is its pid alive; elsewhere: is the beat fresh), or, with no
 * such heartbeat, the worker id's own pid and the age of what it left behind. Stricter than what
 * `serve` reports (src/queue/liveness.ts deathOf): a same-host worker whose pid lives is never
 * recovered, however late its beat.
 */
import { hostname } from "node:os";
import { pidOfWorkerId } from "../queue/ids.ts";
import type { QueueLayout } from "../queue/layout.ts";
import { defaultPidAlive, ownPidNamespace, sameHost } from "../queue/liveness.ts";
import { readHeartbeat } from "../queue/store.ts";
import { HEARTBEAT_STALE_MS, type Heartbeat } from "../queue/types.ts";

export { defaultPidAlive } from "../queue/liveness.ts";

/** With no signed heartbeat, a worker whose pid is alive here counts as gone only after this long. */
export const UNSIGNED_LIVENESS_LIMIT_MS = 3_600_000;

const OWN_PID_NAMESPACE = ownPidNamespace();

/** Whether the worker of a (verified) heartbeat is gone. Pure but for the default pid namespace. */
export function workerIsGone(
  beat: Heartbeat | undefined,
  nowMs: number,
  host: string,
  pidAlive: (pid: number) => boolean,
  pidNamespace: string | undefined = OWN_PID_NAMESPACE,
): boolean {
  if (!beat) return true;
  if (sameHost(beat, { host, pidNamespace })) return !pidAlive(beat.pid);
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
