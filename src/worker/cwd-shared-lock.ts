/**
 * Read-only Claude runs share a working directory; writing runs keep it to themselves. A run is
 * read-only when its effective permission mode (the job's, capped by the worker's ceiling) is one
 * of `BRIDGE_CLAUDE_READ_ONLY_MODES` (default: plan, in which Claude Code edits nothing and runs no
 * commands that change state).
 *
 * On top of the exclusive lock of cwd-lock.ts (`locks/<hash>`, one writer), a reader holds
 * `locks/<hash>.r-<worker>-<job>`. Each side creates its own file first and then looks for the
 * other (a writer for live readers, a reader for a live writer) and backs off if it finds one, so
 * of two racing claims at least one sees the other; a backed-off job is retried on the next scan.
 * Files of workers that are gone (recovery.workerIsGone) do not count.
 */
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { createMarker, readFileNoFollow, readJson, removeQuietly } from "../queue/fsutil.ts";
import type { QueueLayout } from "../queue/layout.ts";
import { HeartbeatSchema } from "../queue/schema.ts";
import type { PermissionMode } from "../queue/types.ts";
import { tryLockCwd, unlockCwd } from "./cwd-lock.ts";
import { effectivePermissionMode } from "./claude/permissions.ts";
import { defaultPidAlive, workerIsGone } from "./recovery.ts";

/** Same naming as cwd-lock.ts. */
const hashOf = (key: string) => createHash("sha256").update(key).digest("hex").slice(0, 40);

function gone(layout: QueueLayout, workerId: string, now: number): boolean {
  let beat: unknown;
  try { beat = readJson(join(layout.workers, `${workerId}.json`)); } catch { beat = undefined; }
  const parsed = HeartbeatSchema.safeParse(beat);
  return workerIsGone(parsed.success ? parsed.data : undefined, now, hostname(), defaultPidAlive);
}

function liveReaders(layout: QueueLayout, key: string, now: number, except?: string): string[] {
  const prefix = `${hashOf(key)}.r-`;
  let names: string[] = [];
  try { names = readdirSync(layout.locks); } catch { return []; }
  return names.filter((n) => {
    if (!n.startsWith(prefix) || n === except) return false;
    const worker = n.slice(prefix.length).split("~")[0]!;
    if (!gone(layout, worker, now)) return true;
    removeQuietly(join(layout.locks, n));
    return false;
  });
}

const readerName = (key: string, workerId: string, jobId: string) => `${hashOf(key)}.r-${workerId}~${jobId}`;

/** Whether a claude body asks for a read-only run under this worker's ceiling. */
export function isReadOnlyRun(body: unknown, ceiling: PermissionMode, readOnlyModes: readonly string[]): boolean {
  try {
    const asked = (body as { permission_mode?: PermissionMode } | undefined)?.permission_mode;
    return readOnlyModes.includes(effectivePermissionMode(asked, ceiling, false));
  } catch {
    return false; // above the ceiling: it will be refused; lock it like a writer meanwhile
  }
}

/** Shares the directory with other read-only runs; false while a live writer holds it. */
export function tryLockShared(layout: QueueLayout, key: string, workerId: string, jobId: string, now = Date.now()): boolean {
  const name = readerName(key, workerId, jobId);
  createMarker(join(layout.locks, name));
  let writer: string | undefined;
  try { writer = readFileNoFollow(join(layout.locks, hashOf(key)), 1024)?.trim(); } catch { writer = undefined; }
  if (writer && !gone(layout, writer, now)) {
    removeQuietly(join(layout.locks, name));
    return false;
  }
  return true;
}

export function unlockShared(layout: QueueLayout, key: string, workerId: string, jobId: string): void {
  removeQuietly(join(layout.locks, readerName(key, workerId, jobId)));
}

/** The writer's lock: cwd-lock.ts's exclusive lock, given up again while read-only runs are in the directory. */
export function tryLockExclusive(layout: QueueLayout, key: string, workerId: string, now = Date.now()): boolean {
  if (!tryLockCwd(layout, key, workerId, now)) return false;
  if (liveReaders(layout, key, now).length === 0) return true;
  unlockCwd(layout, key, workerId);
  return false;
}
