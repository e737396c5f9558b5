/**
 * What an upstream connection (connection.ts) is given — timeouts, log places, hooks, the outer
 * client — what one tool call brings along, and the largest message a server may send.
 */
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { Progress, Task } from "@modelcontextprotocol/sdk/types.js";
import type { CallOrigin } from "../sandbox/extension.ts";
import type { OuterClient } from "./origin.ts";
import type { ToolDoc } from "./tool-docs.ts";
import type { ServerEntry } from "./types.ts";

/** What a connection needs from the outside world; `createTransport` is swapped in tests. */
export interface ConnectionDeps {
  /** Per-request timeout (connect, tools/list, tools/call, forwarded client requests). */
  timeoutMs: number;
  /** Where `<server>.log` (stderr) goes. */
  logDir: string;
  log: { debug(msg: string): void; warn(msg: string): void };
  /** Called with the fresh list after a tools/list_changed notification. */
  onToolsChanged?: (tools: ToolDoc[]) => void;
  createTransport?: (entry: ServerEntry) => Transport;
  /** Largest message accepted from a stdio server (default MAX_MESSAGE_BYTES). */
  maxMessageBytes?: number;
  /** The client that started serve: its capabilities and roots (none in `bridge run`). */
  outer?: OuterClient;
}

/** One tool call's ties to the run_python call that made it. */
export interface CallOptions {
  signal?: AbortSignal;
  origin?: CallOrigin;
  onProgress?: (p: Progress) => void;
  /** Task status changes of a task-only tool. */
  onStatus?: (task: Task) => void;
  /** Call through the task API (the tool's `execution.taskSupport` is "required"). */
  task?: boolean;
}

/**
 * Largest single JSON-RPC message accepted from an upstream server, in bytes (the SDK's stdio
 * default is 10 MiB). Nothing larger can reach Python: a host-call result is at most 12 MiB
 * (MAX_CALL_BYTES in src/sandbox/messages.ts), and a message carries it about twice at most
 * (`structuredContent` plus the same JSON as escaped text), so 32 MiB passes every result that can
 * be delivered. A valid message is parsed whole: one of 31 MB took serve to ~240 MB (measured
 * 2026-11, Bun 1.4.5; 11 MB: 145 MB, idle: 73 MB); an endless line stays near idle (line-reader.ts).
 */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
