/**
 * Claiming: walks the sorted incoming/ listing (kept between scans, re-read when marked stale by
 * a watch event or poll tick) and renames jobs into this worker's running directory — the rename
 * is the claim, so among racing workers exactly one wins. Claude jobs are skipped while their
 * working directory is busy (here or in another worker, see cwd-lock.ts).
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
import { tryLockCwd, unlockCwd, type CwdLockDeps } from "./cwd-lock.ts";

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
  /** The locked working directory (claude jobs). */
  cwdKey?: string;
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
  ) {}

  /** Marks the listing out of date (something changed in incoming/). */
  markStale(): void {
    this.stale = true;
  }

  /**
   * Claims up to `free` jobs. `busy` holds the working directories of this worker's running claude
   * jobs. Returns the claims, how many jobs were seen but left (no slot, busy directory), and
   * whether the listing was read fresh in this call.
   */
  claim(free: number, busy: Set<string>): { claimed: ClaimedJob[]; left: number; fresh: boolean } {
    const fresh = this.stale || this.backlog.length === 0;
    if (fresh) {
      this.stale = false;
      try { this.backlog = this.deps.layout.d.incoming.list().sort(); } catch { this.backlog = []; }
    }
    const claimed: ClaimedJob[] = [];
    const kept: string[] = [];
    let left = 0;
    let i = 0;
    for (; i < this.backlog.length; i++) {
      if (claimed.length >= free) { left++; break; }
      const name = this.backlog[i]!;
      const id = name.endsWith(".json") ? name.slice(0, -5) : "";
      if (!JOB_ID_RE.test(id)) { this.quarantine(name); continue; }
      const incoming = this.deps.layout.d.incoming;
      let key: string | undefined;
      if (kindOfId(id) === "claude") {
        // A peek only (the job is verified after the claim); a FIFO or oversize file reads as nothing.
        key = cwdKeyOf("claude", (readJsonQuietly(incoming, name, 2 * 1024 * 1024) as { body?: unknown } | undefined)?.body, this.allowRoots);
        if (key && (busy.has(key) || !tryLockCwd(this.deps, key, this.workerId))) { left++; kept.push(name); continue; }
      }
      try {
        renameSync(incoming.at(name), this.runDir.at(name));
      } catch {
        if (key) unlockCwd(this.deps, key, this.workerId);
        continue; // another worker (or a canceller) won the race
      }
      if (key) busy.add(key);
      claimed.push({ id, cwdKey: key });
    }
    this.backlog = kept.concat(this.backlog.slice(i));
    return { claimed, left, fresh };
  }

  private quarantine(name: string): void {
    if (name.endsWith(".tmp")) return;
    const to = `file.${randomBytes(4).toString("hex")}.json`;
    try { renameSync(this.deps.layout.d.incoming.at(name), this.deps.layout.d.rejected.at(to)); } catch { return; }
    this.journal({ event: "rejected", file: name.slice(0, 200), reason: "malformed", message: "not a job file name", movedTo: to });
  }
}
