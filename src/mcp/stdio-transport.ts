/**
 * serve's stdio transport: newline-delimited JSON-RPC on stdin/stdout, as in the SDK's
 * StdioServerTransport, except that no input can stop it. The SDK's transport closes itself for
 * good on a message over 10 MiB (stdin paused, listeners gone) and drops unparsable lines without
 * an answer. Here a line is never buffered past MAX_MESSAGE_BYTES (the rest is counted, not kept),
 * an oversized message gets a JSON-RPC `-32600` error, a line that is not JSON gets `-32700`, one
 * that is not a JSON-RPC message `-32600` (JSON-RPC 2.0 §5.1), and the transport keeps serving.
 */
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { JSONRPCMessageSchema, type JSONRPCMessage, type RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { Readable, Writable } from "node:stream";
import { requestIdOf } from "./jsonrpc-id.ts";

/**
 * Largest JSON-RPC message serve reads, in bytes (without the newline): the SDK's own stdio limit,
 * which MCP clients built on it also apply to what they receive.
 */
export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
/** Bytes kept from each end of an oversized message to find its id. */
const ID_SCAN_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/** What the transport tells its owner about input it answered itself. */
export interface RejectedInput {
  code: -32700 | -32600;
  bytes: number;
  message: string;
}

export class BoundedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** Called for each input line answered with an error (for the log). */
  onrejected?: (info: RejectedInput) => void;

  private line: Buffer[] = [];
  private lineBytes = 0;
  /** Set while the current line is over the limit: its first and last bytes, and its size. */
  private oversize?: { head: Buffer; tail: Buffer; total: number };
  private closed = false;

  constructor(
    private readonly stdin: Readable,
    private readonly stdout: Writable,
    private readonly maxMessageBytes = MAX_MESSAGE_BYTES,
  ) {}

  async start(): Promise<void> {
    this.stdin.on("data", this.onData);
    this.stdin.on("end", this.onEnd);
    this.stdin.on("close", this.onEnd);
    this.stdin.on("error", this.onStreamError);
    this.stdout.on("error", this.onStreamError);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.write(`${JSON.stringify(message)}\n`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stdin.off("data", this.onData);
    this.stdin.off("end", this.onEnd);
    this.stdin.off("close", this.onEnd);
    this.stdin.off("error", this.onStreamError);
    this.stdin.pause();
    this.line = [];
    this.oversize = undefined;
    this.onclose?.();
  }

  private readonly onEnd = () => void this.close();

  private readonly onStreamError = (err: Error) => {
    this.onerror?.(err);
    // EPIPE/EOF on our own stdio: the client is gone.
    void this.close();
  };

  private readonly onData = (chunk: Buffer | string) => {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    let pos = 0;
    while (pos < buf.length && !this.closed) {
      const nl = buf.indexOf(NEWLINE, pos);
      this.append(buf.subarray(pos, nl < 0 ? buf.length : nl));
      if (nl < 0) return;
      this.endLine();
      pos = nl + 1;
    }
  };

  private append(piece: Buffer): void {
    if (!piece.length) return;
    const o = this.oversize;
    if (o) {
      o.total += piece.length;
      o.tail =
        piece.length >= ID_SCAN_BYTES
          ? Buffer.from(piece.subarray(piece.length - ID_SCAN_BYTES))
          : keepLast(Buffer.concat([o.tail, piece]));
      return;
    }
    if (this.lineBytes + piece.length <= this.maxMessageBytes) {
      this.line.push(Buffer.from(piece)); // a copy: `piece` may be a view of a large chunk
      this.lineBytes += piece.length;
      return;
    }
    const start = Buffer.concat([...this.line, piece.subarray(0, ID_SCAN_BYTES)]);
    this.oversize = {
      head: Buffer.from(start.subarray(0, ID_SCAN_BYTES)),
      tail: keepLast(Buffer.concat([this.line.length ? this.line[this.line.length - 1]! : Buffer.alloc(0), piece])),
      total: this.lineBytes + piece.length,
    };
    this.line = [];
    this.lineBytes = 0;
  }

  private endLine(): void {
    const o = this.oversize;
    const line = o ? undefined : Buffer.concat(this.line, this.lineBytes);
    this.oversize = undefined;
    this.line = [];
    this.lineBytes = 0;
    if (o) return this.tooLarge(o);
    const text = line!.toString("utf8").replace(/\r$/, "");
    if (!text.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      return this.reject(null, -32700, `Parse error: the line is not JSON (${(err as Error).message})`, line!.length);
    }
    const parsed = JSONRPCMessageSchema.safeParse(raw);
    if (!parsed.success) {
      const id = raw && typeof raw === "object" && !Array.isArray(raw) ? (raw as { id?: unknown }).id : undefined;
      const reqId = typeof id === "string" || (typeof id === "number" && Number.isFinite(id)) ? id : null;
      return this.reject(
        reqId,
        -32600,
        "Invalid Request: not a JSON-RPC 2.0 request, notification or response (batches are not supported)",
        line!.length,
      );
    }
    this.onmessage?.(parsed.data);
  }

  private tooLarge(o: { head: Buffer; tail: Buffer; total: number }): void {
    const id = requestIdOf(o.head.toString("utf8"), o.tail.toString("utf8"));
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    this.reject(
      id ?? null,
      -32600,
      `Request too large: the message is ${o.total} bytes (${mib(o.total)}); bridge reads JSON-RPC messages of at most ${this.maxMessageBytes} bytes (${mib(this.maxMessageBytes)}). Send less data per call.`,
      o.total,
      { size: o.total, limit: this.maxMessageBytes },
    );
  }

  private reject(id: RequestId | null, code: -32700 | -32600, message: string, bytes: number, data?: unknown): void {
    this.onrejected?.({ code, bytes, message });
    void this.write(`${JSON.stringify({ jsonrpc: "2.0", id, error: { code, message, ...(data ? { data } : {}) } })}\n`);
  }

  private write(text: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      if (this.stdout.write(text)) resolve();
      else this.stdout.once("drain", resolve);
    });
  }
}

function keepLast(buf: Buffer): Buffer {
  return buf.length > ID_SCAN_BYTES ? Buffer.from(buf.subarray(buf.length - ID_SCAN_BYTES)) : buf;
}
