/**
 * Claiming: walks the sorted incoming/ listing (kept between scans, re-read when marked stale by
 * a watch event or poll tick) and renames jobs into this worker's running directory — the rename
 * is the claim, so among racing workers exactly one wins. Claude jobs are skipped while their
 * working directory is busy (here or in another worker, see cwd-lock.ts); read-only runs share it
 * with each other (cwd-shared-lock.ts).
 */
import { randomBytes } from "node:crypto";
import { readdirSync, renameSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { readJson } from "../queue/fsutil.ts";
import { JOB_ID_RE, kindOfId } from "../queue/ids.ts";
import type { Journal } from "../queue/journal.ts";
import type { QueueLayout } from "../queue/layout.ts";
import type { JobKind, PermissionMode } from "../queue/types.ts";
import { cwdLockKey } from "./claude/cwd.ts";
import { unlockCwd } from "./cwd-lock.ts";
import { isReadOnlyRun, tryLockExclusive, tryLockShared, unlockShared } from "./cwd-shared-lock.ts";

/** Releases a claimed job's directory lock, shared or exclusive. */
export function unlockJobCwd(layout: QueueLayout, key: string, workerId: string, jobId: string, shared: boolean | undefined): void {
  if (shared) unlockShared(layout, key, workerId, jobId);
  else unlockCwd(layout, key, workerId);
}

/**
 * The directory a claude job locks — its cwd resolved through symlinks (default: the first
 * allow-root, where the runner would run it) — or undefined for other kinds.
 */
export function cwdKeyOf(kind: JobKind, body: unknown, allowRoots: readonly string[] = [homedir()]): string | undefined {
  if (kind !== "claude") return undefined;
  return cwdLockKey((body as { cwd?: unknown })?.cwd, allowRoots);
}

export interface ClaimedJob {
  id: string;
  /** Where the claimed file now is. */
  path: string;
  /** The locked working directory (claude jobs). */
  cwdKey?: string;
  /** True for a read-only run, which shares the directory with other read-only runs (cwd-shared-lock.ts). */
  shared?: boolean;
}

/** What makes a claude run read-only: the worker's ceiling and the modes counted as read-only. */
export interface ReadOnlyRule {
  ceiling: PermissionMode;
  modes: readonly string[];
}

export class Claimer {
  private backlog: string[] = [];
  private stale = true;

  constructor(
    private readonly layout: QueueLayout,
    private readonly runDir: string,
    private readonly workerId: string,
    private readonly journal: Journal,
    private readonly now: () => number,
    /** The worker's --allow-root directories (a claude job without cwd runs in the first). */
    private readonly allowRoots: readonly string[] = [homedir()],
    private readonly readOnly: ReadOnlyRule = { ceiling: "default", modes: ["plan"] },
  ) {}

  /** Marks the listing out of date (something changed in incoming/). */
  markStale(): void {
    this.stale = true;
  }

  /**
   * Claims up to `free` jobs. `busy` holds the working directories of this worker's running writing
   * claude jobs, `sharedBusy` those of its read-only ones. Returns the claims, how many jobs were seen but left (no slot, busy directory), and
   * whether the listing was read fresh in this call.
   */
  claim(free: number, busy: Set<string>, sharedBusy: Set<string> = new Set()): { claimed: ClaimedJob[]; left: number; fresh: boolean } {
    const fresh = this.stale || this.backlog.length === 0;
    if (fresh) {
      this.stale = false;
      try { this.backlog = readdirSync(this.layout.incoming).sort(); } catch { this.backlog = []; }
    }
    const claimed: ClaimedJob[] = [];
    const kept: string[] = [];
    let left = 0;
    let i = 0;
    for (; i < this.backlog.length; i++) {
      if (claimed.length >= free) { left++; break; }
      const name = this.backlog[i]!;
      const id = name.endsWith(".json") ? name.slice(0, -5) : "";
      const src = join(this.layout.incoming, name);
      if (!JOB_ID_RE.test(id)) { this.quarantine(src, name); continue; }
      let key: string | undefined;
      let shared = false;
      if (kindOfId(id) === "claude") {
        let body: unknown;
        try { body = (readJson(src) as { body?: unknown })?.body; } catch { body = undefined; }
        key = cwdKeyOf("claude", body, this.allowRoots);
        shared = isReadOnlyRun(body, this.readOnly.ceiling, this.readOnly.modes);
        const free = shared
          ? key && !busy.has(key) && tryLockShared(this.layout, key, this.workerId, id, this.now())
          : key && !busy.has(key) && !sharedBusy.has(key) && tryLockExclusive(this.layout, key, this.workerId, this.now());
        if (key && !free) { left++; kept.push(name); continue; }
      }
      const dest = join(this.runDir, name);
      try {
        renameSync(src, dest);
      } catch {
        if (key) unlockJobCwd(this.layout, key, this.workerId, id, shared);
        continue; // another worker (or a canceller) won the race
      }
      if (key) (shared ? sharedBusy : busy).add(key);
      claimed.push({ id, path: dest, cwdKey: key, ...(shared ? { shared } : {}) });
    }
    this.backlog = kept.concat(this.backlog.slice(i));
    return { claimed, left, fresh };
  }

  private quarantine(path: string, name: string): void {
    if (name.endsWith(".tmp")) return;
    try { renameSync(path, join(this.layout.rejected, `${name.replace(/[^\w.-]/g, "_").slice(0, 80)}.${randomBytes(4).toString("hex")}`)); } catch { return; }
    this.journal({ event: "rejected", file: name.slice(0, 200), reason: "malformed", message: "not a job file name" });
  }
}
