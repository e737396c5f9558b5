/**
 * How a worker stops: in-flight jobs get the grace period (`--grace`), then are aborted as
 * `interrupted` and get up to 10 s more; a worker with nothing left running removes its running
 * directory and heartbeat and records a signed clean stop (messages in serve and doctor use it).
 */
import { rmdirSync } from "node:fs";
import { hostname } from "node:os";
import type { QueueDir } from "../queue/dirs.ts";
import { recordWorkerStop } from "../queue/liveness.ts";
import type { WorkerContext } from "./context.ts";
import { removeHeartbeat } from "./heartbeat.ts";
import type { Slot } from "./job-slot.ts";

const SHUTDOWN_STOP_WAIT_MS = 10_000;

/** Waits for `p` or `ms`, whichever is first; true when the time ran out. Leaves no timer behind. */
async function raceTimeout(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<boolean>((r) => {
    timer = setTimeout(() => r(true), ms);
  });
  try {
    return await Promise.race([p.then(() => false), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits up to `graceMs` for the running jobs, then aborts them ("shutdown") and waits a bounded time more. */
export async function drainSlots(slots: Map<string, Slot>, graceMs: number): Promise<void> {
  if (!slots.size) return;
  const all = () => Promise.allSettled([...slots.values()].map((s) => s.done));
  const graceOver = await raceTimeout(all(), graceMs);
  if (!graceOver) return;
  for (const slot of slots.values()) {
    slot.cause ??= "shutdown";
    slot.controller.abort("shutdown");
  }
  await raceTimeout(all(), SHUTDOWN_STOP_WAIT_MS);
}

/** With no job left: removes the running directory and heartbeat and records the clean stop. */
export function recordCleanStop(ctx: WorkerContext, runDir: QueueDir | undefined, why: string): void {
  runDir?.close();
  try {
    rmdirSync(ctx.layout.d.running.at(ctx.workerId));
  } catch {
    /* jobs left: the next worker marks them interrupted */
  }
  removeHeartbeat(ctx);
  recordWorkerStop(
    ctx.layout,
    {
      workerId: ctx.workerId,
      pid: process.pid,
      hostname: hostname(),
      stoppedAt: new Date(ctx.now()).toISOString(),
      reason: why,
    },
    ctx.secret,
  );
}
