/**
 * Worker liveness, one judgement for `serve`, `doctor` and the worker's own recovery and locks,
 * from facts a writer of the queue folder without the token cannot fake: signed heartbeats only
 * (src/queue/store.ts; `pidNamespace` is signed with the rest) and, for a worker on this host, its
 * pid. A same-host worker killed with -9 is noticed as soon as its pid is gone (not after the 10 s
 * heartbeat window); every answer says which worker, where, and what happened to it (died, stopped
 * cleanly — a signed `last-worker-stop.json` — or never ran).
 *
 * "Same host" needs the same hostname and, where both sides know it, the same pid namespace
 * (`/proc/self/ns/pid`): a process in a container that happens to share the hostname must not
 * judge a host pid it cannot see.
 */
import { readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { recordIsAuthentic, signRecord } from "./auth.ts";
import { readJsonQuietly, writeFileAtomic } from "./fsutil.ts";
import { STOP_FILE, type QueueLayout } from "./layout.ts";
import { readHeartbeats } from "./store.ts";
import { HEARTBEAT_STALE_MS, type Heartbeat, type WorkerStatus } from "./types.ts";

/** How this process judges a heartbeat (injectable for tests). */
export interface LivenessProbe {
  host: string;
  /** This process's pid namespace (`pid:[4026531836]`), when the OS has one. */
  pidNamespace?: string;
  pidAlive(pid: number): boolean;
}

/** This process's pid namespace, or undefined off Linux. */
export function ownPidNamespace(): string | undefined {
  try {
    return readlinkSync("/proc/self/ns/pid");
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists here (EPERM: it exists, owned by someone else). */
export function defaultPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

const OWN_PID_NAMESPACE = ownPidNamespace();

export const defaultProbe = (): LivenessProbe => ({
  host: hostname(),
  pidNamespace: OWN_PID_NAMESPACE,
  pidAlive: defaultPidAlive,
});

/** Whether a heartbeat's pid can be checked from here: same hostname, same pid namespace where both are known. */
export function sameHost(
  beat: Pick<Heartbeat, "hostname" | "pidNamespace">,
  probe: Pick<LivenessProbe, "host" | "pidNamespace">,
): boolean {
  if (beat.hostname !== probe.host) return false;
  return (
    beat.pidNamespace === undefined || probe.pidNamespace === undefined || beat.pidNamespace === probe.pidNamespace
  );
}

/**
 * Why a (verified) heartbeat's worker is gone, or undefined while it lives: on this host its pid
 * is gone (at once), anywhere its last beat is older than HEARTBEAT_STALE_MS (a live worker beats
 * every second, so a stale beat with a live pid is a hung worker or a reused pid).
 */
export function deathOf(beat: Heartbeat, nowMs: number, probe: LivenessProbe): string | undefined {
  const local = sameHost(beat, probe);
  if (local && !probe.pidAlive(beat.pid))
    return `its process (pid ${beat.pid}) is gone — killed or crashed; last heartbeat ${beat.at}`;
  const age = nowMs - Date.parse(beat.at);
  if (!(age > HEARTBEAT_STALE_MS)) return undefined;
  return local
    ? `its heartbeat stopped ${Math.round(age / 1000)} s ago (last ${beat.at}) though pid ${beat.pid} exists: the worker hangs, or the pid now belongs to another process`
    : `no heartbeat for ${Math.round(age / 1000)} s (last ${beat.at})`;
}

/** Written by a worker that stops cleanly, so later answers can say so instead of "never ran". */
export interface WorkerStop {
  workerId: string;
  pid: number;
  hostname: string;
  stoppedAt: string;
  reason: string;
}

/**
 * Records a clean stop, signed (a co-writer without the token cannot claim one), through the
 * guarded queue directory. Best effort: the record only shapes messages, never state.
 */
export function recordWorkerStop(layout: QueueLayout, stop: WorkerStop, secret: string): void {
  try {
    writeFileAtomic(
      layout.d.tmp,
      layout.d.queue,
      STOP_FILE,
      JSON.stringify(signRecord("stop", { ...stop, reason: stop.reason.slice(0, 200) }, secret)),
      { sync: false },
    );
  } catch {
    /* messages fall back to the heartbeat facts */
  }
}

/** The last clean stop; with `secret`, only a record whose signature holds (FIFO-safe, size-capped read). */
export function readWorkerStop(layout: QueueLayout, secret?: string): WorkerStop | undefined {
  const raw = readJsonQuietly(layout.d.queue, STOP_FILE, 4096) as Partial<WorkerStop> | undefined;
  if (!raw || typeof raw !== "object") return undefined;
  if (secret !== undefined && !recordIsAuthentic("stop", raw, secret)) return undefined;
  if (
    typeof raw.workerId === "string" &&
    typeof raw.pid === "number" &&
    typeof raw.hostname === "string" &&
    typeof raw.stoppedAt === "string" &&
    typeof raw.reason === "string"
  ) {
    return {
      workerId: raw.workerId,
      pid: raw.pid,
      hostname: raw.hostname,
      stoppedAt: raw.stoppedAt,
      reason: raw.reason.slice(0, 200),
    };
  }
  return undefined;
}

/**
 * Live workers, dead ones whose heartbeat is still on disk, and the last clean stop. With
 * `secret` (serve, doctor with the token), only signed heartbeats and a signed stop record count:
 * a co-writer can fake neither a live worker nor a dead one.
 */
export function workerLiveness(
  layout: QueueLayout,
  nowMs: number,
  secret: string | undefined,
  probe: LivenessProbe = defaultProbe(),
): Omit<WorkerStatus, "startCommand"> {
  const beats = readHeartbeats(layout, secret);
  const live: Heartbeat[] = [];
  const dead: NonNullable<WorkerStatus["dead"]> = [];
  for (const b of beats) {
    const why = deathOf(b, nowMs, probe);
    if (why) dead.push({ ...b, why });
    else live.push(b);
  }
  const lastStop = readWorkerStop(layout, secret);
  return {
    alive: live.some((b) => !b.draining),
    lastBeat: beats
      .map((b) => b.at)
      .sort()
      .at(-1),
    workers: live,
    ...(dead.length ? { dead } : {}),
    ...(lastStop ? { lastStop } : {}),
  };
}

const who = (w: { workerId: string; pid: number; hostname: string }) =>
  `worker ${w.workerId} (pid ${w.pid} on ${w.hostname})`;

/** One sentence on why no worker is alive: died (how), draining, stopped cleanly (when, why), or never ran — whichever happened last. */
export function offlineReason(w: Omit<WorkerStatus, "startCommand">): string {
  const dead = w.dead?.slice().sort((a, b) => b.at.localeCompare(a.at))[0];
  const stop = w.lastStop;
  if (dead && !(stop && stop.stoppedAt > dead.at))
    return `No bridge worker is running. The bridge ${who(dead)} died: ${dead.why}.`;
  const draining = w.workers.find((b) => b.draining);
  if (draining) return `No bridge worker takes new jobs: the bridge ${who(draining)} is shutting down.`;
  if (stop)
    return `No bridge worker is running. The last bridge ${who(stop)} stopped cleanly at ${stop.stoppedAt} (${stop.reason}).`;
  if (w.lastBeat) return `No bridge worker is running (last heartbeat ${w.lastBeat}).`;
  return "No bridge worker is running, and none has run for this queue yet.";
}
