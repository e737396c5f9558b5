/**
 * What a sandbox container may send the host, checked before anything acts on it: a body limit per
 * frame type (the decoder skips larger bodies instead of buffering them), budgets for host calls,
 * and the shape of `done` and `call` frames. The supervisor writes every frame, but it forwards
 * `image`, `call` and `done` from the kernel, and code in a cell can forge those (it can read the
 * kernel's nonce from its own memory): they are hostile input.
 */
import { z } from "zod";
import type { BodyLimit, Frame } from "./framing.ts";
import { MAX_IMAGE_BYTES } from "./images.ts";

const MiB = 1024 * 1024;
/** Largest frame header from a container (the runtime's headers are a few hundred bytes). */
export const MAX_HEADER_FROM_SANDBOX = 64 * 1024;
/** `out` bodies: the supervisor sends at most 64 KiB at a time. */
export const MAX_OUT_BODY = 1 * MiB;
/** `file` bodies: the kernel sends result files in chunks of 1 MiB (python/data.py FILE_CHUNK). */
export const MAX_FILE_CHUNK = 1 * MiB;
/** Parameters of one host call (JSON), and the largest result a host call may return. */
export const MAX_CALL_BYTES = 12 * MiB;
/** Parameters of the host calls of one container being handled at the same time. */
export const CALL_BYTES_IN_FLIGHT = 32 * MiB;
/** Replies waiting to be written to one container (it may stop reading its stdin). */
export const REPLY_BYTES_QUEUED = 32 * MiB;
/** Longest host method name. */
export const MAX_METHOD_NAME = 256;
/**
 * JSON values (see jsonShape) in the parameters of the host calls of one container being handled
 * at the same time. JSON.parse makes each a JS value of roughly 90 bytes: 12 MiB of `[],` alone
 * would become ~400 MB in serve, whatever the byte caps say (measured with Bun 1.4, 2026-11).
 */
export const CALL_VALUES_IN_FLIGHT = 1_000_000;
/** Deepest nesting of host-call parameters (handlers and upstream SDKs recurse over them). */
export const MAX_CALL_DEPTH = 512;

/** Body limit of a `done` frame: value and error, each capped to `maxText` bytes by the kernel. */
export const doneBodyLimit = (maxText: number): number => 2 * maxText + 4096;

/** Body limits per frame type for a container running a cell with this text cap. */
export function sandboxBodyLimit(maxText: () => number): BodyLimit {
  return (h) => {
    switch (h.t) {
      case "out":
        return MAX_OUT_BODY;
      case "image":
        return MAX_IMAGE_BYTES;
      case "file":
        return MAX_FILE_CHUNK;
      case "call":
        return MAX_CALL_BYTES;
      case "done":
        return doneBodyLimit(maxText());
      default:
        return 0;
    }
  };
}

/** The `done` message of a cell, as the service uses it. */
export interface DoneMessage {
  status: "ok" | "error" | "exit" | "killed";
  value?: string;
  error?: string;
  exitCode?: number;
  signal?: number;
  /** The process running user code ended; the container is gone after this. */
  kernelDied?: boolean;
  /** For a killed kernel: whether the container's memory cgroup recorded an OOM kill (absent: unknown). */
  oomKilled?: boolean;
  /** The frame was refused (forged or corrupt): the container must not be reused. */
  discard?: boolean;
  /** When the kernel cut `value` / `error` to the frame limit: their full size in bytes (the sandbox's own count, only ever shown in a note). */
  valueTotal?: number;
  errorTotal?: number;
}

const doneHeader = z.object({
  status: z.enum(["ok", "error", "exit", "killed"]),
  exitCode: z.int().optional(),
  signal: z.int().min(1).max(64).optional(),
  kernelDied: z.boolean().optional(),
  oomKilled: z.boolean().optional(),
  valueBytes: z.int().min(0).optional(),
  errorBytes: z.int().min(0).optional(),
  valueTotal: z.int().min(0).optional(),
  errorTotal: z.int().min(0).optional(),
});

const decoder = new TextDecoder();

/**
 * A `done` frame as a DoneMessage. Header: status fields and the byte lengths of `value` and
 * `error`, which follow each other in the body. A frame that does not fit becomes an error naming
 * what was wrong (never a schema dump), marked `discard`.
 */
export function parseDone(frame: Frame, limitBytes: number): DoneMessage {
  if (frame.dropped !== undefined)
    return refused(`it was ${frame.dropped} bytes, more than the ${limitBytes} allowed for a value plus a traceback`);
  const r = doneHeader.safeParse(frame.header);
  if (!r.success)
    return refused(
      r.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".") || "header"}: ${i.message}`)
        .join("; ")
        .slice(0, 500),
    );
  const { valueBytes, errorBytes, ...fields } = r.data;
  const v = valueBytes ?? 0;
  const e = errorBytes ?? 0;
  if (v + e !== frame.body.length)
    return refused(`its lengths (${v} + ${e} bytes) do not match its body (${frame.body.length} bytes)`);
  if ((fields.valueTotal ?? v) < v || (fields.errorTotal ?? e) < e)
    return refused("a full size smaller than the part sent");
  return {
    ...fields,
    ...(valueBytes !== undefined ? { value: decoder.decode(frame.body.subarray(0, v)) } : {}),
    ...(errorBytes !== undefined ? { error: decoder.decode(frame.body.subarray(v)) } : {}),
  };
}

function refused(why: string): DoneMessage {
  return {
    status: "error",
    error: `bridge refused the sandbox's end-of-run message: ${why}. The sandbox runtime's messages were forged or corrupted (code in the cell can do that); the container was discarded.`,
    discard: true,
  };
}

/**
 * Counts what JSON.parse would build from `bytes` without building it: `values` (each array or
 * object, plus one per comma outside strings: every value but the first of each container) and
 * the deepest nesting. Stops early once either passes its limit (the result then exceeds it). Only
 * a budget: malformed JSON is left for JSON.parse to refuse.
 */
export function jsonShape(bytes: Uint8Array, maxValues: number, maxDepth: number): { values: number; depth: number } {
  let values = 0;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      values++;
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
    else if (c === 0x2c) values++;
    else continue;
    if (values > maxValues || deepest > maxDepth) break;
  }
  return { values: values + 1, depth: deepest };
}

/** A `call` frame's header: the call id to answer and the method, or why it cannot be answered. */
export function parseCall(header: Frame["header"]): { cid: number; method: string; problem?: string } | undefined {
  const cid = header.cid;
  if (typeof cid !== "number" || !Number.isSafeInteger(cid) || cid < 0) return undefined;
  const method = header.method;
  if (typeof method !== "string" || !method || method.length > MAX_METHOD_NAME) {
    return { cid, method: "?", problem: `the host method name must be a string of 1 to ${MAX_METHOD_NAME} characters` };
  }
  return { cid, method };
}
