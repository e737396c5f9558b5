/**
 * The memory store: JSON values in `<dir>/<key>.json`, written atomically (temp file + fsync +
 * rename), keys validated so they can never name another path, sizes capped per value and in total
 * (`MCP_BRIDGE_MEMORY_STORE_QUOTA`), and read so that a FIFO or oversize file cannot block or
 * flood serve (src/fs/read.ts). A failed write (ENOSPC included) removes its temp file.
 * Read-modify-write updates hold a per-key lock between `beginUpdate` and `commitUpdate`; every
 * write happens under a short cross-process file lock, and a version check at commit catches
 * writers in other processes.
 */
import { readdirSync, unlinkSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { BridgeError, isBridgeError } from "../errors.ts";
import { readRegularFile } from "../fs/read.ts";
import { recordBytes, sweepStaleTemp, writeRecordFile } from "./files.ts";
import { withFileLock } from "./file-lock.ts";
import { KeyedLock } from "./keyed-lock.ts";

/** Keys: letters, digits, `_`, `-`, `.`; 1–128 characters; no leading dot and no `..`. */
export const MEMORY_KEY_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
export const DEFAULT_MAX_KEYS = 10_000;
/** Default total size of the store's files (the setting's default lives in src/config/schema.ts). */
export const DEFAULT_MAX_TOTAL_BYTES = 100 * 1024 * 1024;
/** How long a count of the store's bytes is reused (see usedBytes). */
const USAGE_RECOUNT_MS = 2_000;
/** Bytes a record adds around its value (version, timestamps) — generous. */
const RECORD_OVERHEAD = 256;

/** What is stored per key. */
export interface MemoryRecord {
  version: number;
  created: string;
  updated: string;
  value: unknown;
}

export interface MemoryInfo {
  key: string;
  size: number;
  version: number;
  created: string;
  updated: string;
}

export interface MemoryStoreOptions {
  dir: string;
  maxValueBytes?: number;
  maxKeys?: number;
  /** Total bytes of all stored records (files); a write past it is refused. */
  maxTotalBytes?: number;
  now?: () => Date;
}

/** Throws MEMORY_INVALID unless `key` is a safe key. */
export function validateMemoryKey(key: unknown): string {
  if (typeof key !== "string" || !MEMORY_KEY_PATTERN.test(key) || key.includes("..")) {
    const shown = typeof key === "string" ? JSON.stringify(key.length > 60 ? `${key.slice(0, 60)}…` : key) : typeof key;
    throw new BridgeError(
      "MEMORY_INVALID",
      `invalid memory key ${shown}: use 1-128 letters, digits, "_", "-" or "." (not starting with "." and without "..")`,
    );
  }
  return key;
}

export class MemoryStore {
  readonly dir: string;
  private readonly maxValueBytes: number;
  private readonly maxKeys: number;
  private readonly maxTotalBytes: number;
  private readonly now: () => Date;
  private swept = false;
  /** Total record bytes on disk, recounted when older than USAGE_RECOUNT_MS and kept current for our own writes. */
  private usage: { bytes: number; at: number } | undefined;
  private readonly lock = new KeyedLock();
  private readonly updates = new Map<string, { key: string; version: number; release: () => void }>();

  constructor(opts: MemoryStoreOptions) {
    this.dir = opts.dir;
    this.maxValueBytes = opts.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    this.maxKeys = opts.maxKeys ?? DEFAULT_MAX_KEYS;
    this.maxTotalBytes = opts.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
    this.now = opts.now ?? (() => new Date());
  }

  /** The record for a key, or undefined. */
  read(key: string): MemoryRecord | undefined {
    validateMemoryKey(key);
    let text: string | undefined;
    try {
      // Non-blocking, regular files only, capped: a FIFO or a huge file named like a key cannot stall serve.
      text = readRegularFile(this.path(key), {
        maxBytes: this.maxValueBytes + RECORD_OVERHEAD + 64 * 1024,
        code: "MEMORY_INVALID",
        label: `memory ${key}`,
      });
    } catch (err) {
      if (isBridgeError(err)) throw err;
      throw new BridgeError("MEMORY_INVALID", `cannot read memory ${key}: ${(err as Error).message}`, { cause: err });
    }
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as MemoryRecord;
    } catch (err) {
      throw new BridgeError(
        "MEMORY_INVALID",
        `memory ${key} is corrupt (${this.path(key)}): ${(err as Error).message}`,
        { hint: "Delete it with delete_memory.", cause: err },
      );
    }
  }

  /** Stores a value (waits for a running update of the same key). Returns the new version. */
  async save(key: string, value: unknown, signal?: AbortSignal): Promise<number> {
    validateMemoryKey(key);
    const release = await this.lock.acquire(key, signal);
    try {
      return await this.locked(key, () => this.write(key, value));
    } finally {
      release();
    }
  }

  /** Removes a key; true when it existed. */
  async delete(key: string, signal?: AbortSignal): Promise<boolean> {
    validateMemoryKey(key);
    const release = await this.lock.acquire(key, signal);
    try {
      return await this.locked(key, () => {
        try {
          const size = recordBytes(this.dir, [key]);
          unlinkSync(this.path(key));
          if (this.usage) this.usage.bytes -= size;
          return true;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
          throw err;
        }
      });
    } finally {
      release();
    }
  }

  /** Every stored key, sorted. */
  list(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    return names
      .filter((n) => n.endsWith(".json"))
      .map((n) => n.slice(0, -5))
      .filter((k) => MEMORY_KEY_PATTERN.test(k) && !k.includes(".."))
      .sort();
  }

  /** Size, version and timestamps of a key, or undefined. */
  info(key: string): MemoryInfo | undefined {
    const rec = this.read(key);
    if (!rec) return undefined;
    return {
      key,
      size: Buffer.byteLength(JSON.stringify(rec.value)),
      version: rec.version,
      created: rec.created,
      updated: rec.updated,
    };
  }

  /**
   * Starts a read-modify-write: waits for the key's lock, then returns the current value and a token.
   * The lock is held until commitUpdate/abortUpdate, or until `signal` aborts (the call ended).
   */
  async beginUpdate(
    key: string,
    signal?: AbortSignal,
  ): Promise<{ token: string; exists: boolean; value: unknown; version: number }> {
    validateMemoryKey(key);
    const release = await this.lock.acquire(key, signal);
    try {
      // The call may have ended between the grant and now: a listener added to an aborted signal never fires.
      if (signal?.aborted)
        throw new BridgeError("CANCELLED", `update_memory(${JSON.stringify(key)}) was cancelled: the call ended`);
      const rec = this.read(key);
      const token = randomUUID();
      const entry = { key, version: rec?.version ?? 0, release };
      this.updates.set(token, entry);
      signal?.addEventListener("abort", () => this.abortUpdate(token), { once: true });
      return { token, exists: rec !== undefined, value: rec?.value ?? null, version: entry.version };
    } catch (err) {
      release();
      throw err;
    }
  }

  /**
   * Finishes an update with the new value. `conflict: true` means another process changed the key
   * since beginUpdate: nothing was written and the caller should retry.
   */
  async commitUpdate(token: string, value: unknown): Promise<{ conflict: boolean; version: number }> {
    const u = this.takeUpdate(token);
    try {
      return await this.locked(u.key, () => {
        const current = this.read(u.key)?.version ?? 0;
        if (current !== u.version) return { conflict: true, version: current };
        return { conflict: false, version: this.write(u.key, value) };
      });
    } finally {
      u.release();
    }
  }

  /** Gives up an update (the Python function raised); releases the lock. Unknown tokens are ignored. */
  abortUpdate(token: string): void {
    const u = this.updates.get(token);
    if (!u) return;
    this.updates.delete(token);
    u.release();
  }

  private takeUpdate(token: string) {
    const u = this.updates.get(token);
    if (!u)
      throw new BridgeError(
        "MEMORY_INVALID",
        "memory update token is unknown or expired (the update was already finished or the call ended)",
      );
    this.updates.delete(token);
    return u;
  }

  /** Runs a check-and-write under the key's cross-process lock file. */
  private locked<T>(key: string, fn: () => T): Promise<T> {
    return withFileLock(join(this.dir, `.${key}.lock`), fn);
  }

  private path(key: string): string {
    return join(this.dir, `${key}.json`);
  }

  /**
   * Bytes all records take. Counting lstat()s every key (~45 ms for 10,000), so the count is reused
   * for USAGE_RECOUNT_MS and kept current for this process's own writes; other processes' writes
   * show at the next recount (the quota may be overshot by what they write in that time).
   */
  private usedBytes(): number {
    const now = Date.now();
    if (!this.usage || now - this.usage.at > USAGE_RECOUNT_MS)
      this.usage = { bytes: recordBytes(this.dir, this.list()), at: now };
    return this.usage.bytes;
  }

  /** Writes atomically; the caller holds the key's lock. */
  private write(key: string, value: unknown): number {
    if (value === undefined) throw new BridgeError("MEMORY_INVALID", `memory ${key}: value is missing`);
    const json = JSON.stringify(value);
    const size = Buffer.byteLength(json);
    if (size > this.maxValueBytes) {
      throw new BridgeError(
        "MEMORY_INVALID",
        `memory ${key}: value is ${size} bytes as JSON, more than the limit of ${this.maxValueBytes} bytes`,
        {
          hint: "Store less, or split it over several keys.",
        },
      );
    }
    const prev = this.read(key);
    if (!prev && this.list().length >= this.maxKeys) {
      throw new BridgeError("MEMORY_INVALID", `memory is full: ${this.maxKeys} keys are stored`, {
        hint: "Delete keys you no longer need (list_memories()).",
      });
    }
    const now = this.now().toISOString();
    const rec: MemoryRecord = { version: (prev?.version ?? 0) + 1, created: prev?.created ?? now, updated: now, value };
    const text = JSON.stringify(rec);
    const own = recordBytes(this.dir, [key]);
    const used = this.usedBytes() - own;
    if (used + Buffer.byteLength(text) > this.maxTotalBytes) {
      throw new BridgeError(
        "MEMORY_INVALID",
        `memory is full: storing ${key} (${Buffer.byteLength(text)} bytes) would take the store past its quota of ${this.maxTotalBytes} bytes (${used} bytes used by other keys)`,
        {
          hint: "Delete keys you no longer need (list_memories(), get_memory_info()), or raise MCP_BRIDGE_MEMORY_STORE_QUOTA.",
        },
      );
    }
    if (!this.swept) {
      this.swept = true;
      sweepStaleTemp(this.dir);
    }
    writeRecordFile(this.dir, key, text);
    if (this.usage) this.usage.bytes += Buffer.byteLength(text) - own;
    return rec.version;
  }
}
