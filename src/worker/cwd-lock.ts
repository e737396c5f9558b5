/**
 * One claude job per working directory across all workers: a lock file per directory
 * (`<root>/queue/locks/<sha256>`), created exclusively and holding the owner's worker id. A lock
 * whose owner is gone (see recovery.workerIsGone) is taken over.
 */
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { createFileAtomic, readFileNoFollow, readJson, removeQuietly } from "../queue/fsutil.ts";
import type { QueueLayout } from "../queue/layout.ts";
import { HeartbeatSchema } from "../queue/schema.ts";
import { defaultPidAlive, workerIsGone } from "./recovery.ts";

const lockPath = (layout: QueueLayout, key: string) => join(layout.locks, createHash("sha256").update(key).digest("hex").slice(0, 40));

function ownerGone(layout: QueueLayout, owner: string, now: number): boolean {
  let beat: unknown;
  try { beat = readJson(join(layout.workers, `${owner}.json`)); } catch { beat = undefined; }
  const parsed = HeartbeatSchema.safeParse(beat);
  return workerIsGone(parsed.success ? parsed.data : undefined, now, hostname(), defaultPidAlive);
}

/** Takes the lock for `key` for `workerId`; false when another live worker holds it. */
export function tryLockCwd(layout: QueueLayout, key: string, workerId: string, now = Date.now()): boolean {
  const path = lockPath(layout, key);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (createFileAtomic(layout.tmp, path, workerId)) return true;
    let owner: string | undefined;
    try { owner = readFileNoFollow(path, 1024)?.trim(); } catch { owner = undefined; }
    if (owner === undefined) continue; // released meanwhile: try again
    if (owner === workerId) return true;
    if (!ownerGone(layout, owner, now)) return false;
    removeQuietly(path);
  }
  return false;
}

/** Releases the lock if `workerId` holds it. */
export function unlockCwd(layout: QueueLayout, key: string, workerId: string): void {
  const path = lockPath(layout, key);
  try {
    if (readFileNoFollow(path, 1024)?.trim() === workerId) removeQuietly(path);
  } catch { /* already gone */ }
}
