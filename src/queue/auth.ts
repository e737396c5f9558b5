/**
 * Job authentication. The shared secret never travels in job files: each job carries
 * HMAC-SHA256(secret, canonical JSON of {v, id, kind, createdAt, nonce, body}). Verification is
 * constant-time and also checks freshness; replay (nonce/id already seen) is checked by the worker
 * against its on-disk markers after the signature holds.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { canonicalJson } from "./canonical.ts";
import { kindOfId } from "./ids.ts";
import { BODY_SCHEMAS, SignedJobSchema } from "./schema.ts";
import type { Job, JobKind, SignedJob } from "./types.ts";

/** How far in the future a job's timestamp may be (clock skew between VM and host). */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

/** The bytes a job's signature covers. */
export function signedPayload(job: Job): string {
  return canonicalJson({
    v: 1,
    id: job.id,
    kind: job.kind,
    createdAt: job.createdAt,
    nonce: job.nonce,
    body: job.body,
  });
}

/** Hex HMAC-SHA256 of the job under the secret. */
export function signJob<K extends JobKind>(job: Job<K>, secret: string): SignedJob<K> {
  const sig = createHmac("sha256", secret).update(signedPayload(job)).digest("hex");
  return { v: 1, ...job, sig };
}

export type RejectReason = "malformed" | "unsigned" | "forged" | "expired" | "future" | "replayed";

export type VerifyResult = { ok: true; job: Job } | { ok: false; reason: RejectReason; message: string; id?: string };

/**
 * Checks a parsed job file's shape and signature (constant time), not its age: for files bridge
 * finds again later (recovery), where only "was this signed with our token" matters.
 */
export function verifyJobSignature(raw: unknown, secret: string): VerifyResult {
  const envelope = SignedJobSchema.safeParse(raw);
  const rawId = typeof (raw as { id?: unknown })?.id === "string" ? (raw as { id: string }).id : undefined;
  if (!envelope.success)
    return { ok: false, reason: "malformed", message: "the job file is not a valid job", id: rawId };
  const { id, kind, createdAt, nonce, body, sig } = envelope.data;
  if (kindOfId(id) !== kind)
    return { ok: false, reason: "malformed", message: `the job id does not match its kind "${kind}"`, id };
  if (sig === undefined || sig === "")
    return { ok: false, reason: "unsigned", message: "the job carries no signature", id };
  const job: Job = { id, kind: kind as JobKind, createdAt, nonce, body: body as never };
  const expected = createHmac("sha256", secret).update(signedPayload(job)).digest();
  const given = /^[0-9a-f]{64}$/.test(sig) ? Buffer.from(sig, "hex") : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      ok: false,
      reason: "forged",
      message: "the job's signature does not match (wrong token, or the job was altered)",
      id,
    };
  }
  return { ok: true, job };
}

/**
 * Checks a parsed job file: shape, signature (constant time), and age within [now - maxAge,
 * now + skew]. Pure: the clock is a parameter.
 */
export function verifyJob(raw: unknown, secret: string, nowMs: number, maxAgeMs: number): VerifyResult {
  const signed = verifyJobSignature(raw, secret);
  if (!signed.ok) return signed;
  const { id, kind, createdAt, body } = signed.job;
  const at = Date.parse(createdAt);
  if (at > nowMs + MAX_FUTURE_SKEW_MS)
    return { ok: false, reason: "future", message: `the job is dated ${createdAt}, in the future`, id };
  if (at < nowMs - maxAgeMs)
    return {
      ok: false,
      reason: "expired",
      message: `the job was created at ${createdAt}, longer ago than the maximum job age`,
      id,
    };
  const parsedBody = BODY_SCHEMAS[kind].safeParse(body);
  if (!parsedBody.success) {
    return {
      ok: false,
      reason: "malformed",
      message: `invalid ${kind} job: ${parsedBody.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      id,
    };
  }
  return { ok: true, job: { ...signed.job, body: parsedBody.data as never } };
}

/**
 * What else bridge signs besides jobs, each in its own domain so a signature made for one can
 * never pass as another: results, heartbeats, checkpoints, cancel requests, directory locks
 * (exclusive and shared), the script catalog, progress lines, the clean-stop record and
 * idempotency-key records. Everything in the queue that changes what bridge does or
 * tells the model is one of these (or a job).
 */
export type RecordDomain =
  | "result"
  | "heartbeat"
  | "checkpoint"
  | "cancel"
  | "lock"
  | "catalog"
  | "progress"
  | "stop"
  | "idempotency";

/** The bytes a record's signature covers: canonical JSON of `{t: domain, ...record}` minus `sig`. */
function recordPayload(domain: RecordDomain, record: Record<string, unknown>): string {
  const { sig: _sig, ...rest } = record;
  if ("t" in rest) throw new TypeError('a signed record cannot carry its own domain field "t"');
  return canonicalJson({ t: domain, ...JSON.parse(JSON.stringify(rest)) });
}

/** Adds `sig` (hex HMAC-SHA256 over the domain and the record) to a record. */
export function signRecord<T extends object>(domain: RecordDomain, record: T, secret: string): T & { sig: string } {
  const sig = createHmac("sha256", secret)
    .update(recordPayload(domain, record as Record<string, unknown>))
    .digest("hex");
  return { ...record, sig };
}

/** Whether a parsed record carries a valid signature for `domain` (constant-time compare). */
export function recordIsAuthentic(domain: RecordDomain, raw: unknown, secret: string): boolean {
  if (!raw || typeof raw !== "object" || Array.isArray(raw) || typeof (raw as { sig?: unknown }).sig !== "string")
    return false;
  const sig = (raw as { sig: string }).sig;
  if (!/^[0-9a-f]{64}$/.test(sig)) return false;
  let expected: Buffer;
  try {
    expected = createHmac("sha256", secret)
      .update(recordPayload(domain, raw as Record<string, unknown>))
      .digest();
  } catch {
    return false;
  }
  return timingSafeEqual(Buffer.from(sig, "hex"), expected);
}

/** Adds `sig` to a result, so a reader holding the token can tell it came from bridge. */
export function signResult<T extends object>(result: T, secret: string): T & { sig: string } {
  return signRecord("result", result, secret);
}

/** Whether a parsed result file carries a valid signature (constant-time compare). */
export function resultIsAuthentic(raw: unknown, secret: string): boolean {
  return recordIsAuthentic("result", raw, secret);
}
