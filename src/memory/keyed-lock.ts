/**
 * A per-key FIFO lock for one process: memory writes and read-modify-write updates on the same key
 * queue behind each other. Waiting ends with CANCELLED when the caller's signal aborts, and a waiter
 * whose signal aborted is never granted the lock (it would hold it with nobody left to release it).
 */
import { BridgeError } from "../errors.ts";

interface Waiter {
  grant: () => void;
}

export class KeyedLock {
  private readonly queues = new Map<string, Waiter[]>();

  /** Resolves with a release function once `key` is ours. Release is idempotent. */
  acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted)
      return Promise.reject(new BridgeError("CANCELLED", `waiting for memory key ${key} was cancelled`));
    let queue = this.queues.get(key);
    if (!queue) {
      queue = [];
      this.queues.set(key, queue);
    }
    const q = queue;
    return new Promise((resolve, reject) => {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        q.shift();
        if (q.length) q[0]!.grant();
        else this.queues.delete(key);
      };
      const cancelled = () => new BridgeError("CANCELLED", `waiting for memory key ${key} was cancelled`);
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          if (signal?.aborted) {
            // Its call ended while it waited: pass the lock on instead of granting it to nobody.
            reject(cancelled());
            release();
            return;
          }
          resolve(release);
        },
      };
      const onAbort = () => {
        const i = q.indexOf(waiter);
        if (i > 0) q.splice(i, 1);
        reject(cancelled());
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      q.push(waiter);
      if (q.length === 1) waiter.grant();
    });
  }

  /** Keys currently held or waited for (for tests and diagnostics). */
  busyKeys(): string[] {
    return [...this.queues.keys()];
  }
}
