/**
 * Idempotency keys for `run_script` and `escalate_to_claude`: the first call with a key records
 * which job it created; a repeat with the same arguments gets that job back instead of running
 * again; a repeat with other arguments is an error (never another job's result silently).
 *
 * Scope: per queue (`<queue>/keys/`) and per job kind (one tool each), shared by every `serve`
 * that holds the queue's token. Record files are named HMAC(token, kind + key), so a co-writer of
 * the queue folder without the token can neither learn the keys nor plant a record for one, and
 * each record is signed (src/queue/auth.ts, domain "idempotency"), binding its own file name →
 * job id → SHA-256 of the canonical arguments: a genuine record copied under another key's name
 * reads as absent. Records are read and written only through the guarded `keys/` directory
 * (src/queue/dirs.ts; no symlinks, no FIFOs, size-capped). What such a co-writer can still do is
 * delete a record (the next call with that key runs again) — the same power it has over any queued
 * job file. Keys expire with the job's retention (`BRIDGE_JOB_RETENTION`); the worker's GC
 * (src/worker/gc.ts) removes records past it.
 */
import { createHash, createHmac } from "node:crypto";
import { BridgeError } from "../errors.ts";
import { recordIsAuthentic, signRecord } from "./auth.ts";
import { canonicalJson } from "./canonical.ts";
import { createFileAtomic, readJsonQuietly, removeQuietly } from "./fsutil.ts";
import { JOB_ID_RE } from "./ids.ts";
import type { QueueLayout } from "./layout.ts";
import type { JobKind } from "./types.ts";

export const MAX_KEY_LENGTH = 200;

export interface KeyRecord {
  kind: JobKind;
  job_id: string;
  /** SHA-256 (hex) of the canonical JSON of the job body. */
  args: string;
  createdAt: string;
}

/** `<queue>/keys`, for messages and tests; every file operation goes through `layout.d.keys`. */
export const keysDir = (layout: QueueLayout): string => layout.keys;

/** The record's file name: HMAC of kind and key under the queue token (hex, 64 chars). */
export function keyFileName(secret: string, kind: JobKind, key: string): string {
  return `${createHmac("sha256", secret).update(`bridge-idempotency\0${kind}\0${key}`).digest("hex")}.json`;
}

export function argsDigest(body: unknown): string {
  return createHash("sha256").update(canonicalJson(body)).digest("hex");
}

/** Checks the key's shape; a bad key is a usage error, not a silent no-op. */
export function checkKey(key: string): string {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new BridgeError("USAGE", `idempotency_key must be 1–${MAX_KEY_LENGTH} characters (got ${key.length}).`, {
      hint: "Use a short unique string per intended action, e.g. a UUID.",
    });
  }
  return key;
}

/** The authentic, unexpired record for the key, or undefined. Forged, moved, malformed or expired records read as absent. */
export function readKey(
  layout: QueueLayout,
  secret: string,
  kind: JobKind,
  key: string,
  nowMs: number,
  retentionMs: number,
): KeyRecord | undefined {
  const name = keyFileName(secret, kind, key);
  const r = readJsonQuietly(layout.d.keys, name, 4096) as (KeyRecord & { name?: unknown }) | undefined;
  if (
    !r ||
    typeof r !== "object" ||
    r.name !== name ||
    r.kind !== kind ||
    typeof r.job_id !== "string" ||
    !JOB_ID_RE.test(r.job_id) ||
    typeof r.args !== "string" ||
    typeof r.createdAt !== "string"
  )
    return undefined;
  if (!recordIsAuthentic("idempotency", r, secret)) return undefined;
  const at = Date.parse(r.createdAt);
  if (!Number.isFinite(at) || nowMs - at > retentionMs) return undefined;
  return { kind: r.kind, job_id: r.job_id, args: r.args, createdAt: r.createdAt };
}

/** The job a repeated key stands for; throws USAGE when the arguments differ from the first call's. */
export function matchKey(record: KeyRecord, key: string, body: unknown): string {
  if (record.args !== argsDigest(body)) {
    throw new BridgeError(
      "USAGE",
      `idempotency_key "${key.slice(0, 80)}" was already used at ${record.createdAt} for job ${record.job_id} with different arguments; nothing was run.`,
      {
        hint: `Use a new key for a different action, or call get_job with job_id "${record.job_id}" for the first one.`,
      },
    );
  }
  return record.job_id;
}

/**
 * Records key → jobId if the key is free (exclusive create). Returns true when recorded; false
 * when an authentic record exists (the caller reads it). A record that is forged, malformed or
 * expired — or a special file planted under its name — is replaced.
 */
export function recordKey(
  layout: QueueLayout,
  secret: string,
  kind: JobKind,
  key: string,
  body: unknown,
  jobId: string,
  nowMs: number,
  retentionMs: number,
): boolean {
  const name = keyFileName(secret, kind, key);
  const record: KeyRecord & { name: string } = {
    name,
    kind,
    job_id: jobId,
    args: argsDigest(body),
    createdAt: new Date(nowMs).toISOString(),
  };
  const text = JSON.stringify(signRecord("idempotency", record, secret));
  for (let attempt = 0; attempt < 2; attempt++) {
    if (createFileAtomic(layout.d.tmp, layout.d.keys, name, text)) return true;
    if (readKey(layout, secret, kind, key, nowMs, retentionMs)) return false;
    removeQuietly(layout.d.keys, name, { special: true }); // not authentic, or expired: the key is free
  }
  return false;
}

/** Removes a record this process just made (the job could not be submitted). */
export function dropKey(layout: QueueLayout, secret: string, kind: JobKind, key: string): void {
  removeQuietly(layout.d.keys, keyFileName(secret, kind, key));
}
