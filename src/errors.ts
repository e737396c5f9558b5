/**
 * One error type for everything bridge reports to people. `code` is stable (scripts and tests
 * may match on it); `hint` says what to do next; `exitCode` is what a CLI command exits with.
 */
export type ErrorCode =
  | "USAGE"
  | "CONFIG_INVALID"
  | "ENGINE_NOT_FOUND"
  | "ENGINE_FAILED"
  | "IMAGE_MISSING"
  | "SANDBOX_FAILED"
  | "TIMEOUT"
  | "CANCELLED"
  | "OUTPUT_TOO_LARGE"
  | "SERVER_UNKNOWN"
  | "UPSTREAM_FAILED"
  | "MEMORY_INVALID"
  | "QUEUE_FAILED"
  | "AUTH_FAILED"
  | "WORKER_OFFLINE"
  | "JOB_NOT_FOUND"
  | "SCRIPT_REJECTED"
  | "SCRIPT_FAILED"
  | "JOB_INTERRUPTED"
  | "CLAUDE_FAILED"
  | "FILE_REFUSED"
  | "INTERNAL";

/** Exit codes used by the CLI: 1 = the work failed, 2 = bad usage or configuration. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export class BridgeError extends Error {
  override readonly name = "BridgeError";
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, opts: { hint?: string; cause?: unknown; exitCode?: number } = {}) {
    super(message, { cause: opts.cause });
    this.code = code;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? (code === "USAGE" || code === "CONFIG_INVALID" ? EXIT.usage : EXIT.failed);
  }
}

/** True for a BridgeError, optionally of one code. */
export function isBridgeError(err: unknown, code?: ErrorCode): err is BridgeError {
  return err instanceof BridgeError && (code === undefined || err.code === code);
}

/** A one-paragraph, human message for any thrown value: what failed, and the next step. */
export function describeError(err: unknown): string {
  if (err instanceof BridgeError) return err.hint ? `${err.message}\n  → ${err.hint}` : err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
