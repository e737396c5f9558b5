/**
 * Runs one verified job through its handler and records the outcome: checkpoint file while it
 * runs, progress lines, then exactly one result (done / failed / cancelled / interrupted) and the
 * job file archived. A handler that throws or says ok=false is a failure, never a success.
 */
import { renameSync } from "node:fs";
import type { ConsolaInstance } from "consola";
import type { Config } from "../config/index.ts";
import { describeError, isBridgeError } from "../errors.ts";
import { signRecord } from "../queue/auth.ts";
import { cancelRequested } from "../queue/cancel.ts";
import type { QueueDir } from "../queue/dirs.ts";
import { appendLine, removeQuietly } from "../queue/fsutil.ts";
import type { Journal } from "../queue/journal.ts";
import type { QueueLayout } from "../queue/layout.ts";
import { writeResult } from "../queue/store.ts";
import type {
  FinalJobState,
  HandlerResult,
  Job,
  JobError,
  JobHandler,
  JobResult,
  WorkerOptions,
} from "../queue/types.ts";
import { checkpointName, saveCheckpoint, type Checkpoint } from "../queue/checkpoint.ts";

const MAX_PROGRESS_EVENTS = 5000;
const MAX_PROGRESS_MESSAGE = 2000;

/** Why the worker aborted a job's signal. */
export type AbortCause = "cancel" | "shutdown";

export interface RunJobDeps {
  layout: QueueLayout;
  journal: Journal;
  now: () => number;
  log: ConsolaInstance;
  config: Config;
  options: WorkerOptions;
  /** The running/<worker> directory holding the claimed file. */
  runDir: QueueDir;
  /** This worker's id (checkpoints are bound to it). */
  workerId: string;
  /** When the job was claimed (ISO), as in its first checkpoint. */
  claimedAt: string;
  handler: JobHandler | undefined;
  /** Signs the result, checkpoints and progress lines. */
  secret: string;
}

/** Picks the final state. Success needs ok=true; an abort decides between cancelled and interrupted. */
export function finalState(ok: boolean, cause: AbortCause | undefined): FinalJobState {
  if (ok) return "done";
  if (cause === "cancel") return "cancelled";
  if (cause === "shutdown") return "interrupted";
  return "failed";
}

function errorFor(state: FinalJobState, given: JobError | undefined, graceMs: number): JobError | undefined {
  if (state === "done") return undefined;
  if (state === "cancelled")
    return {
      code: "CANCELLED",
      message: "Cancelled while running (cancel_job or the client cancelled the request).",
      hint: given?.message,
    };
  if (state === "interrupted") {
    return {
      code: "JOB_INTERRUPTED",
      message: `The worker was shut down and the job did not finish within the ${graceMs} ms grace period; it was stopped and will not be re-run.`,
      hint: "Submit it again once a worker runs.",
    };
  }
  return given ?? { code: "INTERNAL", message: "The handler reported failure without saying why." };
}

/** Runs the job; resolves when its result is on disk. `controller.signal` is the job's abort signal. */
export async function runJob(
  deps: RunJobDeps,
  job: Job,
  controller: AbortController,
  cause: () => AbortCause | undefined,
): Promise<JobResult> {
  const { layout, journal } = deps;
  const startedAt = new Date(deps.now()).toISOString();
  let partial: Record<string, unknown> | undefined;
  let seq = 0;
  const checkpoint = () => {
    const cp: Checkpoint = {
      job: job.id,
      worker: deps.workerId,
      claimedAt: deps.claimedAt,
      startedAt,
      outcome: partial,
    };
    saveCheckpoint(layout.d.tmp, deps.runDir, cp, deps.secret);
  };

  let outcome: HandlerResult;
  if (cancelRequested(layout, job.id, deps.secret)) {
    outcome = { ok: false, outcome: null };
    controller.abort("cancel");
  } else if (!deps.handler) {
    outcome = {
      ok: false,
      outcome: null,
      error: {
        code: "INTERNAL",
        message: `This worker cannot run "${job.kind}" jobs (no handler in this build).`,
        hint: "Update bridge on the host.",
      },
    };
  } else {
    checkpoint();
    journal({ event: "started", id: job.id, kind: job.kind });
    try {
      outcome = await deps.handler(job, {
        signal: controller.signal,
        log: deps.log,
        config: deps.config,
        workerOptions: deps.options,
        progress: (e) => {
          if (++seq > MAX_PROGRESS_EVENTS) return;
          const message = String(e.message).slice(0, MAX_PROGRESS_MESSAGE);
          try {
            const line = signRecord(
              "progress",
              { job: job.id, seq, at: new Date(deps.now()).toISOString(), message, data: e.data },
              deps.secret,
            );
            appendLine(layout.d.progress, `${job.id}.jsonl`, JSON.stringify(line));
          } catch (err) {
            deps.log.warn(`job ${job.id}: cannot record progress: ${(err as Error).message}`);
          }
        },
        checkpoint: (p) => {
          partial = { ...partial, ...p };
          try {
            checkpoint();
          } catch (err) {
            deps.log.warn(`job ${job.id}: cannot save checkpoint: ${(err as Error).message}`);
          }
        },
      });
    } catch (err) {
      outcome = {
        ok: false,
        outcome: partial ?? null,
        error: {
          code: isBridgeError(err) ? err.code : "INTERNAL",
          message: `The ${job.kind} handler failed: ${describeError(err)}`,
        },
      };
    }
  }
  const aborted = controller.signal.aborted ? (cause() ?? "cancel") : undefined;
  const state = finalState(outcome.ok === true, aborted);
  const result: JobResult = {
    id: job.id,
    kind: job.kind,
    state,
    outcome: outcome.outcome ?? partial ?? null,
    error: errorFor(state, outcome.error, deps.options.graceMs),
    startedAt,
    finishedAt: new Date(deps.now()).toISOString(),
  };
  let wrote: boolean;
  // This worker ran the job: its result replaces a provisional one from a recovery that took it for gone.
  const opts = { supersedeRecovered: true };
  try {
    wrote = writeResult(layout, result, deps.secret, opts);
  } catch (err) {
    // e.g. an outcome JSON cannot represent: record the failure instead of losing the job.
    Object.assign(result, {
      state: "failed",
      outcome: null,
      error: { code: "INTERNAL", message: `Could not record the outcome: ${(err as Error).message}` },
    });
    wrote = writeResult(layout, result, deps.secret, opts);
  }
  if (!wrote)
    journal({ event: "result-exists", id: job.id, note: "a result was already recorded; this one was dropped" });
  try {
    renameSync(deps.runDir.at(`${job.id}.json`), layout.d.jobs.at(`${job.id}.json`));
  } catch {
    /* recovered elsewhere */
  }
  removeQuietly(deps.runDir, checkpointName(job.id));
  removeQuietly(layout.d.cancel, job.id);
  journal({ event: "finished", id: job.id, state, code: result.error?.code });
  return result;
}
