/**
 * One claude job per working directory across all workers: a lock file per directory
 * (`<root>/queue/locks/<sha256>`), created exclusively and holding the owner's worker id, signed.
 * A lock whose signature does not hold (planted by a writer without the token), or whose owner is
 * gone (src/worker/liveness.ts: signed heartbeats only), is taken over.
 *
 * Lock files are written without fsync (they are on the claim path of every claude job): a lock
 * stands only while its owner lives, and a crash of the machine ends every owner on it, so a lock
 * lost — or left empty, hence not authentic and taken over — by a crash changes nothing.
 */
import { createHash } from "node:crypto";
import { recordIsAuthentic, signRecord } from "../queue/auth.ts";
import { createFileAtomic, fileAgeStamp, readJsonQuietly, removeQuietly } from "../queue/fsutil.ts";
import { ownerIsGone, type LivenessDeps } from "./liveness.ts";

/** The lock file's name for a directory key (40 hex; shared locks of cwd-shared-lock.ts start with it). */
export const lockName = (key: string): string => createHash("sha256").update(key).digest("hex").slice(0, 40);

/** What the worker's cwd lock needs: the layout, the secret and a clock (pidAlive for tests). */
export type CwdLockDeps = LivenessDeps;

/** The authentic owner of a lock file: its worker id, or undefined when missing or not authentic. */
function lockOwner(deps: CwdLockDeps, name: string): { owner?: string; exists: boolean } {
  const raw = readJsonQuietly(deps.layout.d.locks, name, 4096);
  if (raw === undefined) return { exists: fileAgeStamp(deps.layout.d.locks, name) !== undefined };
  const owner = (raw as { owner?: unknown }).owner;
  const authentic =
    recordIsAuthentic("lock", raw, deps.secret) &&
    (raw as { lock?: unknown }).lock === name &&
    typeof owner === "string";
  return { owner: authentic ? (owner as string) : undefined, exists: true };
}

/** Takes the lock for `key` for `workerId`; false when another live worker holds it. */
export function tryLockCwd(deps: CwdLockDeps, key: string, workerId: string): boolean {
  const name = lockName(key);
  const text = JSON.stringify(signRecord("lock", { lock: name, owner: workerId }, deps.secret));
  for (let attempt = 0; attempt < 2; attempt++) {
    if (createFileAtomic(deps.layout.d.tmp, deps.layout.d.locks, name, text, { sync: false })) return true;
    const { owner, exists } = lockOwner(deps, name);
    if (!exists) continue; // released meanwhile: try again
    if (owner === workerId) return true;
    const since = fileAgeStamp(deps.layout.d.locks, name) ?? 0;
    if (owner !== undefined && !ownerIsGone(deps, owner, since)) return false;
    // Not authentic, or its owner is gone: break it.
    removeQuietly(deps.layout.d.locks, name, { special: true });
  }
  return false;
}

/**
 * The worker that really holds the exclusive lock for `key`: its record is authentic and its owner
 * is not gone. undefined for no lock, a planted one, or one of a gone worker.
 */
export function lockHolder(deps: CwdLockDeps, key: string): string | undefined {
  const name = lockName(key);
  const { owner } = lockOwner(deps, name);
  if (owner === undefined) return undefined;
  return ownerIsGone(deps, owner, fileAgeStamp(deps.layout.d.locks, name) ?? 0) ? undefined : owner;
}

/** Releases the lock if `workerId` holds it. */
export function unlockCwd(deps: CwdLockDeps, key: string, workerId: string): void {
  const name = lockName(key);
  if (lockOwner(deps, name).owner === workerId) removeQuietly(deps.layout.d.locks, name);
}
