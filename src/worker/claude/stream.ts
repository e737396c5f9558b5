/**
 * Parses Claude Code's `--output-format stream-json --verbose` output: one JSON object per line.
 * Pure: fed raw text chunks, it keeps what the outcome needs (session id from system/init, the last
 * API retry, permission denials seen on the way, the final `result` object) and turns assistant
 * tool uses and text into short progress messages.
 */
import type { ProgressEvent } from "../../queue/types.ts";

/** Longest progress message, in characters. */
export const PROGRESS_TEXT_LIMIT = 200;
/** A single stream line longer than this is dropped (protects memory from a runaway line). */
export const MAX_LINE_CHARS = 8 * 1024 * 1024;

/** The CLI's final `result` line (only the fields bridge reads; all optional: trust nothing). */
export interface StreamResult {
  type: "result";
  subtype?: string;
  is_error?: boolean;
  result?: string | null;
  session_id?: string;
  total_cost_usd?: number;
  num_turns?: number;
  duration_ms?: number;
  permission_denials?: unknown[];
  api_error_status?: number | null;
  terminal_reason?: string;
  errors?: unknown[];
}

/** The last `system/api_retry` line: the CLI is retrying a failed API call. */
export interface ApiRetry {
  attempt?: number;
  max_retries?: number;
  error_status?: number | null;
  error?: string;
}

/** What the parser has learned so far. */
export interface StreamState {
  sessionId?: string;
  model?: string;
  permissionMode?: string;
  result?: StreamResult;
  lastApiRetry?: ApiRetry;
  /** Tool calls the CLI denied (system/permission_denied lines), in case no result line arrives. */
  deniedTools: Array<{ tool_name: string; tool_use_id?: string }>;
  /** Last assistant text, a fallback when the run ends without a result line. */
  lastText?: string;
  /** Lines that were not JSON objects (counted, not kept). */
  invalidLines: number;
}

const clip = (text: string, max = PROGRESS_TEXT_LIMIT): string => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** A one-line summary of a tool call, e.g. "Bash touch x" or "Write /repo/a.txt". */
export function describeToolUse(name: string, input: unknown): string {
  const args = (input && typeof input === "object" ? input : {}) as Record<string, unknown>;
  const key = [
    "command",
    "file_path",
    "notebook_path",
    "path",
    "pattern",
    "url",
    "query",
    "description",
    "prompt",
  ].find((k) => typeof args[k] === "string");
  const detail = key ? String(args[key]) : Object.keys(args).length ? JSON.stringify(args) : "";
  return clip(detail ? `${name} ${detail}` : name, PROGRESS_TEXT_LIMIT - "tool: ".length);
}

const isObject = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Incremental parser; call `push` with stdout chunks and `end` once the stream closes. */
export class StreamParser {
  readonly state: StreamState = { deniedTools: [], invalidLines: 0 };
  private buffer = "";
  private skipping = false;

  constructor(private readonly onProgress: (event: ProgressEvent) => void = () => {}) {}

  /** Feeds a chunk of stdout text. */
  push(chunk: string): void {
    if (!chunk.includes("\n")) {
      // Most chunks of a long line: append without rescanning the buffer.
      if (!this.skipping) this.buffer += chunk;
      if (this.buffer.length > MAX_LINE_CHARS) {
        this.state.invalidLines++;
        this.skipping = true;
        this.buffer = "";
      }
      return;
    }
    let text = this.buffer + chunk;
    let nl: number;
    while ((nl = text.indexOf("\n")) >= 0) {
      const line = text.slice(0, nl);
      text = text.slice(nl + 1);
      if (this.skipping) {
        this.skipping = false;
        continue;
      }
      this.line(line);
    }
    if (text.length > MAX_LINE_CHARS) {
      this.state.invalidLines++;
      this.skipping = true;
      text = "";
    }
    this.buffer = text;
  }

  /** Flushes a last line without a newline. */
  end(): StreamState {
    if (this.buffer && !this.skipping) this.line(this.buffer);
    this.buffer = "";
    return this.state;
  }

  private line(raw: string): void {
    const line = raw.trim();
    if (!line) return;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.state.invalidLines++;
      return;
    }
    if (!isObject(msg)) {
      this.state.invalidLines++;
      return;
    }
    this.message(msg);
  }

  private message(msg: Record<string, any>): void {
    const s = this.state;
    if (msg.type === "system" && msg.subtype === "init") {
      if (typeof msg.session_id === "string") s.sessionId = msg.session_id;
      if (typeof msg.model === "string") s.model = msg.model;
      if (typeof msg.permissionMode === "string") s.permissionMode = msg.permissionMode;
      this.onProgress({
        message: clip(`Claude Code started (model ${s.model ?? "?"}, permission mode ${s.permissionMode ?? "?"})`),
        data: { type: "init", session_id: s.sessionId },
      });
    } else if (msg.type === "system" && msg.subtype === "api_retry") {
      s.lastApiRetry = {
        attempt: typeof msg.attempt === "number" ? msg.attempt : undefined,
        max_retries: typeof msg.max_retries === "number" ? msg.max_retries : undefined,
        error_status: typeof msg.error_status === "number" ? msg.error_status : null,
        error: typeof msg.error === "string" ? msg.error : undefined,
      };
      const r = s.lastApiRetry;
      this.onProgress({
        message: clip(
          `API error ${r.error_status ?? "?"}${r.error ? ` (${r.error})` : ""}, retry ${r.attempt ?? "?"}/${r.max_retries ?? "?"}`,
        ),
        data: { type: "api_retry", ...r },
      });
    } else if (msg.type === "system" && msg.subtype === "permission_denied") {
      const tool = typeof msg.tool_name === "string" ? msg.tool_name : "?";
      s.deniedTools.push({
        tool_name: tool,
        tool_use_id: typeof msg.tool_use_id === "string" ? msg.tool_use_id : undefined,
      });
      this.onProgress({ message: clip(`denied: ${tool}`), data: { type: "permission_denied", tool_name: tool } });
    } else if (msg.type === "assistant" && isObject(msg.message) && Array.isArray(msg.message.content)) {
      for (const block of msg.message.content) this.block(block);
    } else if (msg.type === "result") {
      s.result = msg as StreamResult;
      if (typeof msg.session_id === "string") s.sessionId ??= msg.session_id;
    }
  }

  private block(block: unknown): void {
    if (!isObject(block)) return;
    if (block.type === "tool_use" && typeof block.name === "string") {
      this.onProgress({
        message: `tool: ${describeToolUse(block.name, block.input)}`,
        data: { type: "tool_use", name: block.name },
      });
    } else if (block.type === "text" && typeof block.text === "string" && block.text.trim()) {
      this.state.lastText = block.text;
      this.onProgress({ message: clip(block.text), data: { type: "text" } });
    }
  }
}
