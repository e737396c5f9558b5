/**
 * The memory store's files on disk: writing one record (temp file → full write → fsync → rename,
 * cleaned up on any failure, ENOSPC included), the bytes the records take (for the quota), and the
 * sweep of temp files a crashed writer left.
 */
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { BridgeError } from "../errors.ts";
import { writeAll } from "../fs/write.ts";

/** Temp files of crashed writers older than this are removed by sweepStaleTemp. */
const STALE_TMP_MS = 3_600_000;
const TMP_RE = /^\.[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\.\d+\.[0-9a-z]+\.tmp$/;

/** Writes `text` as `<dir>/<key>.json` atomically. Throws MEMORY_INVALID (with the cause) and leaves no temp file. */
export function writeRecordFile(dir: string, key: string, text: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${key}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    const fd = openSync(tmp, "wx", 0o600);
    try {
      writeAll(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(dir, `${key}.json`));
  } catch (err) {
    // ENOSPC, EIO …: leave nothing behind, and say what happened.
    try {
      unlinkSync(tmp);
    } catch {
      /* never created, or already renamed */
    }
    throw new BridgeError("MEMORY_INVALID", `memory ${key}: could not write the value: ${(err as Error).message}`, {
      hint:
        (err as NodeJS.ErrnoException).code === "ENOSPC"
          ? "The disk holding the memory store is full; free space or delete keys."
          : undefined,
      cause: err,
    });
  }
}

/** Bytes of the records of `keys` (regular files only, as they are on disk). */
export function recordBytes(dir: string, keys: readonly string[]): number {
  let total = 0;
  for (const k of keys) {
    try {
      const st = lstatSync(join(dir, `${k}.json`));
      if (st.isFile()) total += st.size;
    } catch {
      /* deleted meanwhile */
    }
  }
  return total;
}

/** Removes temp files older than an hour (a writer that crashed between create and rename). */
export function sweepStaleTemp(dir: string, nowMs = Date.now()): void {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!TMP_RE.test(n)) continue;
    try {
      const st = lstatSync(join(dir, n));
      if (st.isFile() && nowMs - st.mtimeMs > STALE_TMP_MS) unlinkSync(join(dir, n));
    } catch {
      /* gone */
    }
  }
}
