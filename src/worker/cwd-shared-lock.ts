/**
 * Read-only Claude runs share a working directory; writing runs keep it to themselves. A run is
 * read-only when its effective permission mode (the job's, capped by the worker's ceiling) is one
 * of `BRIDGE_CLAUDE_READ_ONLY_MODES` (default: plan, in which Claude Code edits nothing and runs no
 * commands that change state) and the worker does not load that directory's project settings
 * (whose hooks would run commands whatever the mode).
 *
 * On top of the exclusive lock of cwd-lock.ts (`locks/<hash>`, one writer), a reader holds
 * `locks/<hash>.r-<worker>~<job>`. Each side creates its own file first and then looks for the
 * other (a writer for live readers, a reader for a live writer) and backs off if it finds one, so
 * of two racing claims at least one sees the other; a backed-off job is retried on the next scan.
 *
 * Like every lock (cwd-lock.ts), a reader file counts only when it is real: signed with the queue
 * token and bound to its own name (worker and job), its worker not gone (signed heartbeats only,
 * src/worker/liveness.ts), and its job really running there — listed in that worker's signed
 * heartbeat, or signed less than HEARTBEAT_STALE_MS ago (claimed, not yet in a beat). A planted
 * file, a gone worker's, or a copy of an old genuine one blocks nothing and is removed. Written
 * without fsync, like the exclusive lock (cwd-lock.ts): a crash ends every run a reader file stands for.
 */
import { recordIsAuthentic, signRecord, MAX_FUTURE_SKEW_MS } from "../queue/auth.ts";
import { createFileAtomic, fileAgeStamp, readJsonQuietly, removeFile, removeQuietly } from "../queue/fsutil.ts";
import { NAME_SHAPES } from "../queue/ids.ts";
import { readHeartbeat } from "../queue/store.ts";
import { HEARTBEAT_STALE_MS, type PermissionMode, type WorkerOptions } from "../queue/types.ts";
import { isInside } from "./claude/cwd.ts";
import { effectivePermissionMode } from "./claude/permissions.ts";
import { lockHolder, lockName, tryLockCwd, unlockCwd, type CwdLockDeps } from "./cwd-lock.ts";
import { ownerIsGone } from "./liveness.ts";

const readerName = (key: string, workerId: string, jobId: string) => `${lockName(key)}.r-${workerId}~${jobId}`;

/** Whether the reader file `name` in locks/ stands for a run that is really going on. */
function readerIsLive(deps: CwdLockDeps, name: string): boolean {
  const m = /^[0-9a-f]{40}\.r-(.+)~(.+)$/.exec(name);
  if (!m || !NAME_SHAPES.sharedLock.test(name)) return false;
  const [, owner, job] = m as unknown as [string, string, string];
  const raw = readJsonQuietly(deps.layout.d.locks, name, 4096) as
    | { lock?: unknown; owner?: unknown; job?: unknown; at?: unknown }
    | undefined;
  if (
    !recordIsAuthentic("lock", raw, deps.secret) ||
    raw!.lock !== name ||
    raw!.owner !== owner ||
    raw!.job !== job ||
    typeof raw!.at !== "string"
  )
    return false;
  if (ownerIsGone(deps, owner, fileAgeStamp(deps.layout.d.locks, name) ?? 0)) return false;
  if (readHeartbeat(deps.layout, `${owner}.json`, deps.secret)?.running.includes(job)) return true;
  const age = deps.now() - Date.parse(raw!.at);
  return age < HEARTBEAT_STALE_MS && age > -MAX_FUTURE_SKEW_MS;
}

function liveReaders(deps: CwdLockDeps, key: string): string[] {
  const prefix = `${lockName(key)}.r-`;
  let names: string[];
  try {
    names = deps.layout.d.locks.list();
  } catch {
    return [];
  }
  return names.filter((n) => {
    if (!n.startsWith(prefix)) return false;
    if (readerIsLive(deps, n)) return true;
    removeQuietly(deps.layout.d.locks, n, { special: true });
    return false;
  });
}

/** Whether a claude body asks for a read-only run under this worker's ceiling. */
export function isReadOnlyRun(body: unknown, ceiling: PermissionMode, readOnlyModes: readonly string[]): boolean {
  try {
    const asked = (body as { permission_mode?: PermissionMode } | undefined)?.permission_mode;
    return readOnlyModes.includes(effectivePermissionMode(asked, ceiling, false));
  } catch {
    return false; // above the ceiling: it will be refused; lock it like a writer meanwhile
  }
}

/** What makes a claude run read-only: the worker's ceiling, the modes counted as read-only, and the directories whose project settings it loads. */
export interface ReadOnlyRule {
  ceiling: PermissionMode;
  modes: readonly string[];
  trustProjectSettings?: WorkerOptions["trustProjectSettings"];
}

/**
 * Whether a claude job may share its (resolved) directory `cwdKey`: a read-only run in a directory
 * whose project settings the worker does not load (a repository's hooks run in any mode).
 */
export function sharesDirectory(body: unknown, cwdKey: string, rule: ReadOnlyRule): boolean {
  const trust = rule.trustProjectSettings ?? [];
  if (trust === "all" || trust.some((root) => isInside(cwdKey, root))) return false;
  return isReadOnlyRun(body, rule.ceiling, rule.modes);
}

/** Shares the directory with other read-only runs; false while a live writer holds it. */
export function tryLockShared(deps: CwdLockDeps, key: string, workerId: string, jobId: string): boolean {
  const name = readerName(key, workerId, jobId);
  const text = JSON.stringify(
    signRecord(
      "lock",
      { lock: name, owner: workerId, job: jobId, at: new Date(deps.now()).toISOString() },
      deps.secret,
    ),
  );
  if (!createFileAtomic(deps.layout.d.tmp, deps.layout.d.locks, name, text, { sync: false })) {
    // Ours from an earlier attempt, or planted under our name: make it ours.
    removeQuietly(deps.layout.d.locks, name, { special: true });
    if (!createFileAtomic(deps.layout.d.tmp, deps.layout.d.locks, name, text, { sync: false })) return false;
  }
  const writer = lockHolder(deps, key);
  if (writer !== undefined) {
    removeQuietly(deps.layout.d.locks, name);
    return false;
  }
  return true;
}

export function unlockShared(deps: CwdLockDeps, key: string, workerId: string, jobId: string): void {
  removeQuietly(deps.layout.d.locks, readerName(key, workerId, jobId));
}

/** The writer's lock: cwd-lock.ts's exclusive lock, given up again while read-only runs are in the directory. */
export function tryLockExclusive(deps: CwdLockDeps, key: string, workerId: string): boolean {
  if (!tryLockCwd(deps, key, workerId)) return false;
  if (liveReaders(deps, key).length === 0) return true;
  unlockCwd(deps, key, workerId);
  return false;
}

/**
 * GC: removes reader files that no longer stand for a running job (planted, a gone worker's, a
 * finished job's). Exclusive locks are left to cwd-lock.ts's takeover. Returns how many.
 */
export function collectSharedLocks(deps: CwdLockDeps): number {
  let removed = 0;
  for (const name of deps.layout.d.locks.list()) {
    if (!NAME_SHAPES.sharedLock.test(name) || fileAgeStamp(deps.layout.d.locks, name, { regular: true }) === undefined)
      continue;
    if (readerIsLive(deps, name)) continue;
    try {
      if (removeFile(deps.layout.d.locks, name)) removed++;
    } catch {
      /* keep going */
    }
  }
  return removed;
}
