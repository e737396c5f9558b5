/**
 * Claiming: walks the sorted incoming/ listing (kept between scans, re-read when marked stale by
 * a watch event or poll tick) and renames jobs into this worker's running directory — the rename
 * is the claim, so among racing workers exactly one wins. Claude jobs are skipped while their
 * working directory is busy (here or in another worker, see cwd-lock.ts); read-only runs share it
 * with each other (cwd-shared-lock.ts).
 */
import { randomBytes } from "node:crypto";
import { renameSync } from "node:fs";
import { homedir } from "node:os";
import type { QueueDir } from "../queue/dirs.ts";
import { readJsonQuietly } from "../queue/fsutil.ts";
import { JOB_ID_RE, kindOfId } from "../queue/ids.ts";
import type { Journal } from "../queue/journal.ts";
import type { JobKind } from "../queue/types.ts";
import { cwdLockKey } from "./claude/cwd.ts";
import { unlockCwd, type CwdLockDeps } from "./cwd-lock.ts";
import {
  sharesDirectory,
  tryLockExclusive,
  tryLockShared,
  unlockShared,
  type ReadOnlyRule,
} from "./cwd-shared-lock.ts";

export type { ReadOnlyRule } from "./cwd-shared-lock.ts";

/** Releases a claimed job's directory lock, shared or exclusive. */
export function unlockJobCwd(
  deps: CwdLockDeps,
  key: string,
  workerId: string,
  jobId: string,
  shared: boolean | undefined,
): void {
  if (shared) unlockShared(deps, key, workerId, jobId);
  else unlockCwd(deps, key, workerId);
}

/**
 * The directory a claude job locks — its cwd resolved through symlinks (default: the first
 * allow-root, where the runner would run it) — or undefined for other kinds.
 */
export function cwdKeyOf(
  kind: JobKind,
  body: unknown,
  allowRoots: readonly string[] = [homedir()],
): string | undefined {
  if (kind !== "claude") return undefined;
  return cwdLockKey((body as { cwd?: unknown })?.cwd, allowRoots);
}

export interface ClaimedJob {
  id: string;
  /** The locked working directory (claude jobs). */
  cwdKey?: string;
  /** True for a read-only run, which shares the directory with other read-only runs (cwd-shared-lock.ts). */
  shared?: boolean;
}

export class Claimer {
  private backlog: string[] = [];
  private stale = true;

  constructor(
    /** Layout, secret and clock (the cwd locks use them). */
    private readonly deps: CwdLockDeps,
    /** This worker's running/<id> directory, where claimed files go. */
    private readonly runDir: QueueDir,
    private readonly workerId: string,
    private readonly journal: Journal,
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
   * claude jobs, `sharedBusy` those of its read-only ones. Returns the claims, how many jobs were
   * seen but left (no slot, busy directory), and whether the listing was read fresh in this call.
   */
  claim(
    free: number,
    busy: Set<string>,
    sharedBusy: Set<string> = new Set(),
  ): { claimed: ClaimedJob[]; left: number; fresh: boolean } {
    const fresh = this.stale || this.backlog.length === 0;
    if (fresh) {
      this.stale = false;
      try {
        this.backlog = this.deps.layout.d.incoming.list().sort();
      } catch {
        this.backlog = [];
      }
    }
    const claimed: ClaimedJob[] = [];
    const kept: string[] = [];
    let left = 0;
    let i = 0;
    for (; i < this.backlog.length; i++) {
      if (claimed.length >= free) {
        left++;
        break;
      }
      const name = this.backlog[i]!;
      const id = name.endsWith(".json") ? name.slice(0, -5) : "";
      if (!JOB_ID_RE.test(id)) {
        this.quarantine(name);
        continue;
      }
      const incoming = this.deps.layout.d.incoming;
      let key: string | undefined;
      let shared = false;
      if (kindOfId(id) === "claude") {
        // A peek only (the job is verified after the claim); a FIFO or oversize file reads as nothing.
        const body = (readJsonQuietly(incoming, name, 2 * 1024 * 1024) as { body?: unknown } | undefined)?.body;
        key = cwdKeyOf("claude", body, this.allowRoots);
        shared = key !== undefined && sharesDirectory(body, key, this.readOnly);
        const free = shared
          ? key && !busy.has(key) && tryLockShared(this.deps, key, this.workerId, id)
          : key && !busy.has(key) && !sharedBusy.has(key) && tryLockExclusive(this.deps, key, this.workerId);
        if (key && !free) {
          left++;
          kept.push(name);
          continue;
        }
      }
      try {
        renameSync(incoming.at(name), this.runDir.at(name));
      } catch {
        if (key) unlockJobCwd(this.deps, key, this.workerId, id, shared);
        continue; // another worker (or a canceller) won the race
      }
      if (key) (shared ? sharedBusy : busy).add(key);
      claimed.push({ id, cwdKey: key, ...(shared ? { shared } : {}) });
    }
    this.backlog = kept.concat(this.backlog.slice(i));
    return { claimed, left, fresh };
  }

  private quarantine(name: string): void {
    if (name.endsWith(".tmp")) return;
    const to = `file.${randomBytes(4).toString("hex")}.json`;
    try {
      renameSync(this.deps.layout.d.incoming.at(name), this.deps.layout.d.rejected.at(to));
    } catch {
      return;
    }
    this.journal({
      event: "rejected",
      file: name.slice(0, 200),
      reason: "malformed",
      message: "not a job file name",
      movedTo: to,
    });
  }
}
