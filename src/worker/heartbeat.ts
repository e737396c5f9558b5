/**
 * The worker's signed heartbeat (`workers/<worker-id>.json`), rewritten every second and whenever
 * its running jobs change: what serve, doctor, recovery and the directory locks judge it by.
 */
import { hostname } from "node:os";
import { removeQuietly, writeFileAtomic } from "../queue/fsutil.ts";
import { ownPidNamespace } from "../queue/liveness.ts";
import { signHeartbeat } from "../queue/store.ts";
import type { Heartbeat, WorkerOptions } from "../queue/types.ts";
import { VERSION } from "../version.ts";
import type { WorkerContext } from "./context.ts";

const PID_NAMESPACE = ownPidNamespace();

/** What the heartbeat says about project settings (doctor shows it). */
function trustShown(t: WorkerOptions["trustProjectSettings"]): boolean | string[] {
  return t === "all" ? true : t && t.length ? t : false;
}

/** Writes the heartbeat (atomically, no fsync: it is rewritten every second); a failure is logged. */
export function beat(ctx: WorkerContext, startedAt: string, running: string[], draining: boolean): void {
  const hb: Heartbeat = {
    workerId: ctx.workerId,
    pid: process.pid,
    hostname: hostname(),
    version: VERSION,
    startedAt,
    at: new Date(ctx.now()).toISOString(),
    concurrency: ctx.options.concurrency,
    running,
    draining,
    ...(PID_NAMESPACE ? { pidNamespace: PID_NAMESPACE } : {}),
    trustProjectSettings: trustShown(ctx.options.trustProjectSettings),
  };
  try {
    writeFileAtomic(
      ctx.layout.d.tmp,
      ctx.layout.d.workers,
      `${ctx.workerId}.json`,
      JSON.stringify(signHeartbeat(hb, ctx.secret)),
      { sync: false },
    );
  } catch (err) {
    ctx.log.warn(`heartbeat: ${(err as Error).message}`);
  }
}

/** Removes the heartbeat (a clean stop). */
export function removeHeartbeat(ctx: WorkerContext): void {
  removeQuietly(ctx.layout.d.workers, `${ctx.workerId}.json`);
}
