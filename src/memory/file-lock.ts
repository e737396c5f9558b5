/**
 * Cross-process mutual exclusion for short critical sections (a memory key's check-and-write): a
 * lock file created with O_EXCL. A lock older than `staleMs` (its holder died) is broken.
 */
import { closeSync, lstatSync, mkdirSync, openSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { BridgeError } from "../errors.ts";

export interface FileLockOptions {
  staleMs?: number;
  timeoutMs?: number;
}

/** Runs `fn` while holding `lockPath`; waits (polling) up to `timeoutMs` for another holder. */
export async function withFileLock<T>(lockPath: string, fn: () => T, opts: FileLockOptions = {}): Promise<T> {
  const staleMs = opts.staleMs ?? 10_000;
  const deadline = Date.now() + (opts.timeoutMs ?? 5_000);
  mkdirSync(dirname(lockPath), { recursive: true, mode: 0o700 });
  for (let delay = 1; ; delay = Math.min(delay * 2, 25)) {
    try {
      const fd = openSync(lockPath, "wx", 0o600);
      try {
        writeSync(fd, String(process.pid));
      } catch (err) {
        // e.g. ENOSPC: a lock file we cannot finish must not stay behind and block the key.
        closeSync(fd);
        try {
          unlinkSync(lockPath);
        } catch {
          /* already gone */
        }
        throw err;
      }
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const age = Date.now() - (lstatSync(lockPath, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > staleMs) {
        try {
          unlinkSync(lockPath);
        } catch {
          /* another waiter broke it first */
        }
        continue;
      }
      if (Date.now() > deadline) {
        throw new BridgeError("MEMORY_INVALID", `memory is locked by another bridge process (${lockPath})`, {
          hint: `Retry; if no other bridge is running, delete ${lockPath}.`,
        });
      }
      await Bun.sleep(delay);
    }
  }
  try {
    return fn();
  } finally {
    try {
      unlinkSync(lockPath);
    } catch {
      /* already broken as stale */
    }
  }
}
