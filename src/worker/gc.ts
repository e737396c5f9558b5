/**
 * Retention: removes finished jobs past `BRIDGE_JOB_RETENTION`, idempotency-key records past it
 * (their keys have expired), replay markers past the replay window, quarantined files, stray temp
 * files, and shared directory locks that no longer stand for a running job. The clean-stop record
 * (`last-worker-stop.json`) is one file each stop replaces, never removed. Every directory is re-verified before it is
 * touched (src/queue/dirs.ts), and only regular files whose names have bridge's own shapes
 * (src/queue/ids.ts NAME_SHAPES, fsutil TMP_NAME_RE) are removed — so even a directory swapped
 * for a link to someone's documents loses nothing that bridge did not create. A finished job's
 * other files go only when its result is authentic.
 */
import { renameSync, lstatSync } from "node:fs";
import { MAX_FUTURE_SKEW_MS } from "../queue/auth.ts";
import type { QueueDir } from "../queue/dirs.ts";
import { fileAgeStamp, removeFile, TMP_NAME_RE } from "../queue/fsutil.ts";
import { NAME_SHAPES } from "../queue/ids.ts";
import type { Journal } from "../queue/journal.ts";
import { JOURNAL_FILE, type QueueLayout } from "../queue/layout.ts";
import { readResult } from "../queue/store.ts";
import { collectSharedLocks } from "./cwd-shared-lock.ts";

const JOURNAL_ROTATE_BYTES = 16 * 1024 * 1024;
const TMP_MAX_AGE_MS = 3_600_000;

export interface GcDeps {
  layout: QueueLayout;
  journal: Journal;
  now: () => number;
  secret: string;
  retentionMs: number;
  maxAgeMs: number;
}

/** Removes what is past retention. Returns how many files were removed. */
export function collectGarbage(deps: GcDeps): number {
  const { layout, now } = deps;
  let removed = 0;
  /** Removes `dir/name` when its name has `shape`, it is a regular file, and it is older than `ms`. */
  const sweep = (dir: QueueDir, shape: RegExp, ms: number, onRemove?: (name: string) => void) => {
    for (const name of dir.list()) {
      if (!shape.test(name)) continue;
      const stamp = fileAgeStamp(dir, name, { regular: true });
      if (stamp === undefined || now() - stamp <= ms) continue;
      onRemove?.(name);
      try {
        if (removeFile(dir, name)) removed++;
      } catch {
        /* keep going */
      }
    }
  };
  const removeIfFile = (dir: QueueDir, name: string) => {
    try {
      if (fileAgeStamp(dir, name, { regular: true }) !== undefined && removeFile(dir, name)) removed++;
    } catch {
      /* keep going */
    }
  };
  sweep(layout.d.results, NAME_SHAPES.job, deps.retentionMs, (name) => {
    const id = name.slice(0, -5);
    // A planted result must not take a live job's files with it.
    if (!readResult(layout, id, deps.secret)) return;
    removeIfFile(layout.d.jobs, name);
    removeIfFile(layout.d.progress, `${id}.jsonl`);
    removeIfFile(layout.d.cancel, id);
  });
  // Replay markers must outlive the window in which a copied job would still pass the age check.
  sweep(layout.d.seen, NAME_SHAPES.seen, deps.maxAgeMs + MAX_FUTURE_SKEW_MS + 3_600_000);
  sweep(layout.d.rejected, NAME_SHAPES.rejected, deps.retentionMs);
  sweep(layout.d.tmp, TMP_NAME_RE, TMP_MAX_AGE_MS);
  sweep(layout.d.cancel, NAME_SHAPES.cancel, deps.retentionMs);
  sweep(layout.d.progress, NAME_SHAPES.progress, deps.retentionMs);
  // A key record is written at submit time and read as expired past the retention (src/queue/idempotency.ts).
  sweep(layout.d.keys, NAME_SHAPES.key, deps.retentionMs);
  try {
    removed += collectSharedLocks(deps);
  } catch {
    /* keep going */
  }
  // The journal is append-only; past JOURNAL_ROTATE_BYTES it is moved to journal.1.jsonl (one generation kept).
  try {
    const path = layout.d.queue.at(JOURNAL_FILE);
    const st = lstatSync(path);
    if (st.isFile() && st.size > JOURNAL_ROTATE_BYTES)
      renameSync(path, layout.d.queue.at(JOURNAL_FILE.replace(/\.jsonl$/, ".1.jsonl")));
  } catch {
    /* no journal yet */
  }
  if (removed) deps.journal({ event: "gc", removed });
  return removed;
}
