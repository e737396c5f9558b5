/**
 * Worker liveness as `serve` and `doctor` see it, from the heartbeat files and, for a worker on
 * this host, its pid: a same-host worker killed with -9 is noticed as soon as its pid is gone
 * (not after the 10 s heartbeat window), and every answer says which worker, where, and what
 * happened to it (died, stopped cleanly, never ran).
 *
 * "Same host" needs the same hostname and, where both sides know it, the same pid namespace
 * (`/proc/self/ns/pid`): a `serve` in a container that happens to share the hostname must not
 * judge a host pid it cannot see.
 */
import { readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { readJson, writeFileAtomic } from "./fsutil.ts";
import type { QueueLayout } from "./layout.ts";
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

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export const defaultProbe = (): LivenessProbe => ({ host: hostname(), pidNamespace: ownPidNamespace(), pidAlive });

/** Why a heartbeat's worker is gone, or undefined while it lives. */
export function deathOf(beat: Heartbeat, nowMs: number, probe: LivenessProbe): string | undefined {
  const sameNs = beat.pidNamespace === undefined || probe.pidNamespace === undefined || beat.pidNamespace === probe.pidNamespace;
  if (beat.hostname === probe.host && sameNs) {
    return probe.pidAlive(beat.pid) ? undefined : `its process (pid ${beat.pid}) is gone — killed or crashed; last heartbeat ${beat.at}`;
  }
  const age = nowMs - Date.parse(beat.at);
  return age > HEARTBEAT_STALE_MS ? `no heartbeat for ${Math.round(age / 1000)} s (last ${beat.at})` : undefined;
}

/** Written by a worker that stops cleanly, so later answers can say so instead of "never ran". */
export interface WorkerStop {
  workerId: string;
  pid: number;
  hostname: string;
  stoppedAt: string;
  reason: string;
}

const stopFile = (layout: QueueLayout) => join(layout.dir, "last-worker-stop.json");

/** Records a clean stop (best effort: the file is a courtesy for messages, not state). */
export function recordWorkerStop(layout: QueueLayout, stop: WorkerStop): void {
  try {
    writeFileAtomic(layout.tmp, stopFile(layout), JSON.stringify(stop), { sync: false });
  } catch { /* messages fall back to the heartbeat facts */ }
}

function readWorkerStop(layout: QueueLayout): WorkerStop | undefined {
  try {
    const raw = readJson(stopFile(layout), 4096) as Partial<WorkerStop> | undefined;
    if (raw && typeof raw.workerId === "string" && typeof raw.pid === "number" && typeof raw.hostname === "string" && typeof raw.stoppedAt === "string" && typeof raw.reason === "string") {
      return { workerId: raw.workerId, pid: raw.pid, hostname: raw.hostname, stoppedAt: raw.stoppedAt, reason: raw.reason.slice(0, 200) };
    }
  } catch { /* unreadable: unknown */ }
  return undefined;
}

/** Live workers, dead ones whose heartbeat is still on disk, and the last clean stop. */
export function workerLiveness(layout: QueueLayout, nowMs: number, probe: LivenessProbe = defaultProbe()): Omit<WorkerStatus, "startCommand"> {
  const beats = readHeartbeats(layout);
  const live: Heartbeat[] = [];
  const dead: NonNullable<WorkerStatus["dead"]> = [];
  for (const b of beats) {
    const why = deathOf(b, nowMs, probe);
    if (why) dead.push({ ...b, why });
    else live.push(b);
  }
  const lastStop = readWorkerStop(layout);
  return {
    alive: live.some((b) => !b.draining),
    lastBeat: beats.map((b) => b.at).sort().at(-1),
    workers: live,
    ...(dead.length ? { dead } : {}),
    ...(lastStop ? { lastStop } : {}),
  };
}

const who = (w: { workerId: string; pid: number; hostname: string }) => `worker ${w.workerId} (pid ${w.pid} on ${w.hostname})`;

/** One sentence on why no worker is alive: died (how), draining, stopped cleanly (when, why), or never ran. */
export function offlineReason(w: Omit<WorkerStatus, "startCommand">): string {
  const dead = w.dead?.slice().sort((a, b) => b.at.localeCompare(a.at))[0];
  if (dead) return `The bridge ${who(dead)} died: ${dead.why}.`;
  const draining = w.workers.find((b) => b.draining);
  if (draining) return `The bridge ${who(draining)} is shutting down and takes no new jobs.`;
  if (w.lastStop) return `The last bridge ${who(w.lastStop)} stopped cleanly at ${w.lastStop.stoppedAt} (${w.lastStop.reason}).`;
  if (w.lastBeat) return `No bridge worker is running (last heartbeat ${w.lastBeat}).`;
  return "No bridge worker has run for this queue yet.";
}
