/**
 * One claimed job from claim to result: the signed claim checkpoint, verification (intake.ts), the
 * directory lock the verified body really asks for, the run (run-job.ts) — and, should anything
 * unexpected fail (the disk), a `failed` result rather than a job left "running".
 */
import { renameSync } from "node:fs";
import { saveCheckpoint } from "../queue/checkpoint.ts";
import type { QueueDir } from "../queue/dirs.ts";
import { removeQuietly } from "../queue/fsutil.ts";
import { kindOfId } from "../queue/ids.ts";
import { writeResult } from "../queue/store.ts";
import type { Job, JobHandler } from "../queue/types.ts";
import { cwdKeyOf, unlockJobCwd } from "./claimer.ts";
import type { WorkerContext } from "./context.ts";
import { sharesDirectory, tryLockExclusive, tryLockShared } from "./cwd-shared-lock.ts";
import { handlerFor } from "./handlers.ts";
import { takeIn } from "./intake.ts";
import { type AbortCause, runJob } from "./run-job.ts";

/** A running job of this worker. */
export interface Slot {
  controller: AbortController;
  cause?: AbortCause;
  cwdKey?: string;
  /** A read-only claude run sharing its directory. */
  shared?: boolean;
  done: Promise<unknown>;
}

/** Runs the claimed job `id` (its file is in `runDir`); resolves when it has a result or was refused. */
export async function runClaimed(ctx: WorkerContext, runDir: QueueDir, id: string, slot: Slot): Promise<void> {
  const claimedAt = new Date(ctx.now()).toISOString();
  const { cwdKey, shared, controller } = slot;
  try {
    // Signed proof that this worker claimed the job, for recovery should it die now.
    saveCheckpoint(ctx.layout.d.tmp, runDir, { job: id, worker: ctx.workerId, claimedAt }, ctx.secret);
    const job: Job | undefined = takeIn(
      {
        layout: ctx.layout,
        secret: ctx.secret,
        maxAgeMs: ctx.config.jobMaxAge,
        now: ctx.now,
        journal: ctx.journal,
      },
      runDir,
      id,
    );
    if (!job) {
      removeQuietly(runDir, `${id}.checkpoint.json`);
      return;
    }
    const verifiedKey = cwdKeyOf(job.kind, job.body, ctx.options.allowRoots);
    const verifiedShared =
      verifiedKey !== undefined &&
      sharesDirectory(job.body, verifiedKey, {
        ceiling: ctx.options.permissionMode,
        modes: ctx.config.claudeReadOnlyModes,
        trustProjectSettings: ctx.options.trustProjectSettings,
      });
    if (verifiedKey && (verifiedKey !== cwdKey || verifiedShared !== Boolean(shared))) {
      // The verified body differs from the peeked one: lock what it really asks for instead.
      if (cwdKey) unlockJobCwd(ctx.lockDeps, cwdKey, ctx.workerId, id, shared);
      Object.assign(slot, { cwdKey: verifiedKey, shared: verifiedShared });
      const lock = () =>
        verifiedShared
          ? tryLockShared(ctx.lockDeps, verifiedKey, ctx.workerId, id)
          : tryLockExclusive(ctx.lockDeps, verifiedKey, ctx.workerId);
      while (!controller.signal.aborted && !lock()) await Bun.sleep(500);
    }
    const handler = (ctx.handlers ?? handlerFor)(job.kind) as JobHandler | undefined;
    const result = await runJob(
      {
        layout: ctx.layout,
        journal: ctx.journal,
        now: ctx.now,
        log: ctx.log,
        config: ctx.config,
        options: ctx.options,
        runDir,
        workerId: ctx.workerId,
        claimedAt,
        handler,
        secret: ctx.secret,
      },
      job,
      controller,
      () => slot.cause,
    );
    ctx.log.info(`job ${id} (${job.kind}): ${result.state}${result.error ? ` — ${result.error.message}` : ""}`);
  } catch (err) {
    // An unexpected error (e.g. the disk): record it rather than leave the job "running".
    ctx.log.error(`job ${id}: ${(err as Error).stack ?? err}`);
    try {
      writeResult(
        ctx.layout,
        {
          id,
          kind: kindOfId(id)!,
          state: "failed",
          outcome: null,
          error: { code: "QUEUE_FAILED", message: `The worker could not run the job: ${(err as Error).message}` },
          finishedAt: new Date(ctx.now()).toISOString(),
        },
        ctx.secret,
        { supersedeRecovered: true },
      );
      renameSync(runDir.at(`${id}.json`), ctx.layout.d.jobs.at(`${id}.json`));
    } catch {
      /* left for recovery when this worker stops */
    }
  }
}
