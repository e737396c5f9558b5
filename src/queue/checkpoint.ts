/**
 * Checkpoints: `running/<worker>/<id>.checkpoint.json`, written by the worker right after it
 * claims a job (proof that this worker really claimed it), again when the job starts, and whenever
 * the handler saves a partial outcome (a Claude session id). Each is signed and bound to the job
 * and the worker, so recovery can trust what it copies into the `interrupted` result it signs:
 * a planted or moved checkpoint is ignored. `serve` reads it too (src/queue/store.ts `claimed`):
 * proof that a worker judged dead had really claimed the job it is said to run.
 */
import { recordIsAuthentic, signRecord } from "./auth.ts";
import type { QueueDir } from "./dirs.ts";
import { readJsonQuietly, writeFileAtomic } from "./fsutil.ts";
import { z } from "zod";

export interface Checkpoint {
  job: string;
  worker: string;
  claimedAt: string;
  /** Set once the handler started. */
  startedAt?: string;
  /** The handler's partial outcome (e.g. `{ session_id }`). */
  outcome?: Record<string, unknown>;
}

const CheckpointSchema = z.object({
  job: z.string(),
  worker: z.string(),
  claimedAt: z.string(),
  startedAt: z.string().optional(),
  outcome: z.record(z.string(), z.unknown()).optional(),
  sig: z.string(),
});

export const checkpointName = (id: string): string => `${id}.checkpoint.json`;

/** Writes the signed checkpoint (atomically, without fsync: it is rewritten as the job goes). */
export function saveCheckpoint(tmp: QueueDir, runDir: QueueDir, cp: Checkpoint, secret: string): void {
  writeFileAtomic(tmp, runDir, checkpointName(cp.job), JSON.stringify(signRecord("checkpoint", cp, secret)), {
    sync: false,
  });
}

/** The checkpoint of job `id` in `runDir`, when it is authentic and names this job and `workerId`. */
export function readCheckpoint(runDir: QueueDir, id: string, workerId: string, secret: string): Checkpoint | undefined {
  const raw = readJsonQuietly(runDir, checkpointName(id), 1024 * 1024);
  if (!recordIsAuthentic("checkpoint", raw, secret)) return undefined;
  const parsed = CheckpointSchema.safeParse(raw);
  if (!parsed.success || parsed.data.job !== id || parsed.data.worker !== workerId) return undefined;
  const { sig: _sig, ...cp } = parsed.data;
  return cp;
}
