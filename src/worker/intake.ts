/**
 * What a worker does with a job file it has just claimed, before anything runs: read it without
 * following links, verify signature and age, record its nonce and id so it can never run again,
 * and otherwise quarantine it, journal why, and (when that cannot clobber a real job) write a
 * `rejected` result so the caller gets a clear error.
 */
import { randomBytes } from "node:crypto";
import { renameSync } from "node:fs";
import { verifyJob, type RejectReason } from "../queue/auth.ts";
import type { QueueDir } from "../queue/dirs.ts";
import { createMarker, entryExists, fsyncDir, readJson } from "../queue/fsutil.ts";
import { JOB_ID_RE, kindOfId } from "../queue/ids.ts";
import type { Journal } from "../queue/journal.ts";
import type { QueueLayout } from "../queue/layout.ts";
import { readResult, writeResult } from "../queue/store.ts";
import type { Job } from "../queue/types.ts";

export interface IntakeDeps {
  layout: QueueLayout;
  secret: string;
  maxAgeMs: number;
  now: () => number;
  journal: Journal;
}

const HINTS: Record<RejectReason, string> = {
  malformed: "Submit jobs through bridge (serve's tools); do not write job files by hand.",
  unsigned: "Give serve the queue token (BRIDGE_TOKEN or BRIDGE_TOKEN_FILE) created by `bridge worker --init`.",
  forged: "serve and the worker must use the same token: compare BRIDGE_TOKEN / BRIDGE_TOKEN_FILE on both sides.",
  expired: "Submit the job again; the worker was not running when it was queued (see BRIDGE_JOB_MAX_AGE).",
  future: "Fix the clock of the machine that submitted the job.",
  replayed: "Each job runs once; submit a new job instead of copying an old one.",
};

/**
 * Markers for the replay check: seen/n-<nonce> and seen/i-<id>, created exclusively and made
 * durable before the job runs. A job that already has an authentic result is a replay too, even
 * if its markers were lost.
 */
function markSeen(layout: QueueLayout, job: Job, secret: string): boolean {
  const idFresh = createMarker(layout.d.seen, `i-${job.id}`);
  const nonceFresh = createMarker(layout.d.seen, `n-${job.nonce}`);
  fsyncDir(layout.d.seen);
  // Only an authentic result counts: a planted one must not get the real job refused.
  return idFresh && nonceFresh && !readResult(layout, job.id, secret);
}

/**
 * Verifies the claimed file `<fileId>.json` in `dir` (the worker's running directory). Returns the
 * job when it may run; otherwise handles the rejection and returns undefined.
 */
export function takeIn(deps: IntakeDeps, dir: QueueDir, fileId: string): Job | undefined {
  const { layout, journal } = deps;
  let raw: unknown;
  let readError: string | undefined;
  try {
    raw = readJson(dir, `${fileId}.json`, 2 * 1024 * 1024);
    if (raw === undefined) readError = "the job file is not valid JSON";
  } catch (err) {
    readError = (err as Error).message;
  }
  let verdict = readError
    ? { ok: false as const, reason: "malformed" as RejectReason, message: readError, id: undefined }
    : verifyJob(raw, deps.secret, deps.now(), deps.maxAgeMs);
  if (verdict.ok && verdict.job.id !== fileId) {
    verdict = {
      ok: false,
      reason: "malformed",
      message: `the file name ${fileId}.json does not match the job id`,
      id: undefined,
    };
  }
  if (verdict.ok) {
    if (markSeen(layout, verdict.job, deps.secret)) return verdict.job;
    verdict = {
      ok: false,
      reason: "replayed",
      message: "this job (its id or nonce) was already seen",
      id: verdict.job.id,
    };
  }
  // Rejected: quarantine the file, journal, and answer the caller when that is safe.
  const quarantine = `${fileId}.${randomBytes(4).toString("hex")}.json`;
  try {
    renameSync(dir.at(`${fileId}.json`), layout.d.rejected.at(quarantine));
  } catch {
    /* already moved or removed */
  }
  journal({
    event: "rejected",
    id: fileId,
    reason: verdict.reason,
    message: verdict.message,
    file: `${layout.rejected}/${quarantine}`,
  });
  // Only answer under an id nobody has legitimately used: a forged or replayed copy of a real
  // job must not overwrite or pre-empt that job's result.
  const id = fileId;
  if (JOB_ID_RE.test(id) && verdict.reason !== "replayed" && !entryExists(layout.d.seen, `i-${id}`)) {
    writeResult(
      layout,
      {
        id,
        kind: kindOfId(id)!,
        state: "rejected",
        outcome: null,
        error: {
          code: "AUTH_FAILED",
          message: `The worker rejected job ${id}: ${verdict.message} (${verdict.reason}).`,
          hint: HINTS[verdict.reason],
        },
        finishedAt: new Date(deps.now()).toISOString(),
      },
      deps.secret,
    );
  }
  return undefined;
}
