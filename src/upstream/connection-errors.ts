/**
 * The error texts of an upstream connection: why a server could not start, how it went away, and
 * what a failed request means (timeout, cancel, crash). Each names the server and says what to do,
 * and has the entry's secrets (URL keys, header and env values, `--token` arguments) masked by
 * `ConnectionFacts.redact` (secrets.ts `redactor`): these texts reach the model and the logs.
 */
import type { ChildProcess } from "node:child_process";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { formatBytes } from "../config/index.ts";
import { BridgeError, isBridgeError } from "../errors.ts";
import { maskUrl } from "./secrets.ts";
import type { BoundedLog } from "./stderr-log.ts";
import type { ServerEntry } from "./types.ts";

/** What the messages need to know about a connection. */
export interface ConnectionFacts {
  entry: ServerEntry;
  timeoutMs: number;
  stderrLog: BoundedLog;
  maxMessageBytes: number;
  /** Replaces the entry's secrets in any text (secrets.ts `redactor(entry)`). */
  redact: (text: string) => string;
}

/** `err` with its message and hint passed through `redact` (a new error only when that changes them). */
export function masked(err: BridgeError, redact: (text: string) => string): BridgeError {
  const message = redact(err.message);
  const hint = err.hint === undefined ? undefined : redact(err.hint);
  if (message === err.message && hint === err.hint) return err;
  return new BridgeError(err.code, message, { hint, cause: err.cause, exitCode: err.exitCode });
}

const seconds = (ms: number) => Math.round(ms / 1000);

/** Why a server could not start (`crash`: how it went away while starting, if it did). */
export function startError(c: ConnectionFacts, err: unknown, crash: string | undefined): BridgeError {
  return masked(startErrorText(c, err, crash), c.redact);
}

function startErrorText(c: ConnectionFacts, err: unknown, crash: string | undefined): BridgeError {
  if (isBridgeError(err)) return err;
  const e = err as NodeJS.ErrnoException;
  const what =
    c.entry.transport === "stdio" ? `command ${JSON.stringify(c.entry.command)}` : `url ${maskUrl(c.entry.url ?? "")}`;
  if (e?.code === "ENOENT") {
    return new BridgeError("UPSTREAM_FAILED", `server ${c.entry.name} could not start: ${what} not found`, {
      hint: `Fix the entry in ${c.entry.source}.`,
      cause: err,
    });
  }
  if (err instanceof McpError && err.code === ErrorCode.RequestTimeout) {
    return new BridgeError(
      "TIMEOUT",
      `server ${c.entry.name} did not answer initialize within ${seconds(c.timeoutMs)}s (${what})`,
      {
        hint: `A first \`npx -y\` download or an image pull can take that long; else check the entry in ${c.entry.source}. Full stderr: ${c.stderrLog.path}`,
        cause: err,
      },
    );
  }
  if (c.entry.transport !== "stdio") {
    // An HTTP/SSE transport also closes when the request fails: the request's own error (refused,
    // 401, DNS) says why; there is no process and no stderr.
    const status =
      typeof (err as { code?: unknown })?.code === "number" && Number(e.code) >= 100 && Number(e.code) < 600
        ? `HTTP ${e.code}: `
        : "";
    return new BridgeError(
      "UPSTREAM_FAILED",
      `server ${c.entry.name} could not start (${what}): ${status}${e?.message ?? crash ?? String(err)}`,
      {
        hint: `Check that the server is running and reachable, and the entry in ${c.entry.source}.`,
        cause: err,
      },
    );
  }
  const tail = c.stderrLog.lastLines();
  const why = crash ?? `${e?.message ?? String(err)}${tail.length ? `; last stderr lines:\n${tail.join("\n")}` : ""}`;
  return new BridgeError("UPSTREAM_FAILED", `server ${c.entry.name} could not start (${what}): ${why}`, {
    hint: `Check the entry in ${c.entry.source}; full stderr: ${c.stderrLog.path}`,
    cause: err,
  });
}

/** How a server went away without bridge closing it. */
export function exitMessage(c: ConnectionFacts, oversized: boolean, p: ChildProcess | undefined): string {
  return c.redact(exitText(c, oversized, p));
}

function exitText(c: ConnectionFacts, oversized: boolean, p: ChildProcess | undefined): string {
  if (oversized)
    return `server ${c.entry.name} sent a message larger than ${formatBytes(c.maxMessageBytes)}; bridge closed the connection`;
  const how = p
    ? p.signalCode
      ? `signal ${p.signalCode}`
      : p.exitCode !== null
        ? `code ${p.exitCode}`
        : "code unknown"
    : "connection closed";
  if (c.entry.transport !== "stdio") return `server ${c.entry.name} closed the connection`;
  const tail = c.stderrLog.lastLines();
  return `server ${c.entry.name} exited (${how})${tail.length ? `; last stderr lines:\n${tail.join("\n")}` : "; it wrote nothing to stderr"}`;
}

/** A failed request as a BridgeError (`crash`: set when the server went away meanwhile). */
export function requestError(c: ConnectionFacts, what: string, err: unknown, crash: string | undefined): BridgeError {
  return masked(requestErrorText(c, what, err, crash), c.redact);
}

function requestErrorText(c: ConnectionFacts, what: string, err: unknown, crash: string | undefined): BridgeError {
  if (crash)
    return new BridgeError("UPSTREAM_FAILED", crash, { hint: "bridge starts it again on the next call.", cause: err });
  if (isBridgeError(err)) return err;
  if (err instanceof McpError && err.code === ErrorCode.RequestTimeout) {
    return new BridgeError("TIMEOUT", `server ${c.entry.name} did not answer ${what} within ${seconds(c.timeoutMs)}s`, {
      hint: "Raise MCP_BRIDGE_UPSTREAM_TIMEOUT if the tool is slow.",
      cause: err,
    });
  }
  if ((err as Error)?.name === "AbortError")
    return new BridgeError("CANCELLED", `${what} on server ${c.entry.name} was cancelled`, { cause: err });
  return new BridgeError(
    "UPSTREAM_FAILED",
    `server ${c.entry.name}: ${what} failed: ${(err as Error)?.message ?? String(err)}`,
    { cause: err },
  );
}
