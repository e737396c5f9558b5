/**
 * Job ids and nonces. An id is `<kind letter>-<ms time, base36, 9 chars>-<16 hex>`: names sort in
 * submission order (FIFO claims), the kind is visible before the file is read, and the whole id is
 * covered by the signature, so the letter cannot be changed without breaking it.
 */
import { randomBytes } from "node:crypto";
import type { JobKind } from "./types.ts";

export const JOB_ID_RE = /^[cs]-[0-9a-z]{9}-[0-9a-f]{16}$/;
export const NONCE_RE = /^[0-9a-f]{32}$/;

const KIND_LETTER: Record<JobKind, string> = { claude: "c", script: "s" };

/** A fresh job id for a kind. */
export function newJobId(kind: JobKind, nowMs: number = Date.now()): string {
  return `${KIND_LETTER[kind]}-${nowMs.toString(36).padStart(9, "0")}-${randomBytes(8).toString("hex")}`;
}

/** A fresh 128-bit nonce (hex). */
export function newNonce(): string {
  return randomBytes(16).toString("hex");
}

/** The kind an id's letter names (undefined for a malformed id). */
export function kindOfId(id: string): JobKind | undefined {
  if (!JOB_ID_RE.test(id)) return undefined;
  return id[0] === "c" ? "claude" : "script";
}

/** The submission time encoded in an id (ms), or undefined. */
export function timeOfId(id: string): number | undefined {
  if (!JOB_ID_RE.test(id)) return undefined;
  return parseInt(id.slice(2, 11), 36);
}

/** A worker's id, `w-<pid>-<8 hex>`: its running/ directory and heartbeat file are named after it. */
export const WORKER_ID_RE = /^w-(\d{1,10})-[0-9a-f]{8}$/;

/** A fresh worker id for this process. */
export function newWorkerId(pid: number = process.pid): string {
  return `w-${pid}-${randomBytes(4).toString("hex")}`;
}

/** The pid a worker id names, or undefined for a malformed id. */
export function pidOfWorkerId(workerId: string): number | undefined {
  const m = WORKER_ID_RE.exec(workerId);
  return m ? Number(m[1]) : undefined;
}

const ID = "[cs]-[0-9a-z]{9}-[0-9a-f]{16}";
/**
 * The shapes of the names bridge itself gives files in each queue directory. GC and recovery touch
 * nothing else: a file named otherwise was not made by bridge (see src/queue/fsutil.ts for temp files).
 */
export const NAME_SHAPES = {
  /** results/<id>.json, jobs/<id>.json, incoming/<id>.json, running/<worker>/<id>.json */
  job: new RegExp(`^${ID}\\.json$`),
  checkpoint: new RegExp(`^${ID}\\.checkpoint\\.json$`),
  progress: new RegExp(`^${ID}\\.jsonl$`),
  cancel: new RegExp(`^${ID}$`),
  seen: new RegExp(`^(?:i-${ID}|n-[0-9a-f]{32})$`),
  /** rejected/<id or "file">.<8 hex>.json */
  rejected: new RegExp(`^(?:${ID}|file)\\.[0-9a-f]{8}\\.json$`),
  heartbeat: /^w-\d{1,10}-[0-9a-f]{8}\.json$/,
  /** locks/<40 hex>: a directory's exclusive lock (src/worker/cwd-lock.ts) */
  lock: /^[0-9a-f]{40}$/,
  /** locks/<40 hex>.r-<worker>~<job id>: a read-only run's shared lock (src/worker/cwd-shared-lock.ts) */
  sharedLock: new RegExp(`^[0-9a-f]{40}\\.r-w-\\d{1,10}-[0-9a-f]{8}~${ID}$`),
  /** keys/<64 hex>.json: an idempotency-key record, named HMAC(token, kind, key) (src/queue/idempotency.ts) */
  key: /^[0-9a-f]{64}\.json$/,
} as const;
