/**
 * Collects a run's output bytes with a fixed memory bound: keeps the first and last parts up to the
 * cap and counts the rest, so 1 GB of prints costs no more memory than the cap. The result says
 * exactly what was cut.
 */
import { formatBytes } from "../config/units.ts";

/** Share of the cap given to the head of the output; the rest shows its tail. */
const HEAD_SHARE = 0.7;

/** Output as returned to the caller. */
export interface CollectedOutput {
  /** The text shown: everything, or head + a note + tail when the output exceeded the cap. */
  text: string;
  /** Total bytes the code wrote. */
  totalBytes: number;
  /** True when bytes were cut. */
  truncated: boolean;
}

export class OutputCollector {
  private head: Uint8Array[] = [];
  private headBytes = 0;
  private tail: Uint8Array[] = [];
  private tailBytes = 0;
  private total = 0;
  private readonly headCap: number;
  private readonly tailCap: number;

  constructor(readonly maxBytes: number) {
    this.headCap = Math.floor(maxBytes * HEAD_SHARE);
    this.tailCap = maxBytes - this.headCap;
  }

  /**
   * Adds a chunk of output. The head keeps copies (a view would pin the whole buffer the chunk came
   * in); the tail keeps views of the last chunks only, so at most a few chunks stay referenced.
   */
  push(chunk: Uint8Array): void {
    this.total += chunk.length;
    const room = this.headCap - this.headBytes;
    if (room > 0) {
      const take = chunk.slice(0, room);
      this.head.push(take);
      this.headBytes += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (chunk.length) {
      this.tail.push(chunk);
      this.tailBytes += chunk.length;
      this.trimTail();
    }
  }

  /** Total bytes pushed so far. */
  get totalBytes(): number {
    return this.total;
  }

  /** The output as text (UTF-8; cut points moved off partial characters), with a note when cut. */
  result(): CollectedOutput {
    const head = concat(this.head);
    const tail = concat(this.tail);
    if (this.total <= this.maxBytes)
      return { text: decode(concat([head, tail])), totalBytes: this.total, truncated: false };
    const headText = decode(head.subarray(0, utf8Boundary(head, head.length)));
    const tailText = decode(tail.subarray(utf8Start(tail)));
    const shown = byteLength(headText) + byteLength(tailText);
    const cut = this.total - shown;
    const note = `\n[... ${formatBytes(cut)} (${cut} bytes) of output cut: the code wrote ${formatBytes(this.total)} (${this.total} bytes); showing the first ${byteLength(headText)} and the last ${byteLength(tailText)} bytes. Raise MCP_BRIDGE_MAX_OUTPUT or write less ...]\n`;
    return { text: headText + note + tailText, totalBytes: this.total, truncated: true };
  }

  private trimTail(): void {
    while (this.tailBytes > this.tailCap && this.tail.length) {
      const first = this.tail[0]!;
      const excess = this.tailBytes - this.tailCap;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
      }
    }
  }
}

const decoder = new TextDecoder();
const decode = (b: Uint8Array) => decoder.decode(b);
const byteLength = (s: string) => Buffer.byteLength(s, "utf8");

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  if (parts.length === 0) return new Uint8Array(0);
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Largest end ≤ `end` that does not split a UTF-8 sequence. */
export function utf8Boundary(b: Uint8Array, end: number): number {
  let i = end;
  // Step back over continuation bytes to the lead byte of the last sequence.
  while (i > 0 && i > end - 4 && (b[i - 1]! & 0xc0) === 0x80) i--;
  if (i === 0) return end;
  const lead = b[i - 1]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return end - (i - 1) >= need ? end : i - 1;
}

/** First index that starts a UTF-8 sequence (skips up to 3 leading continuation bytes). */
export function utf8Start(b: Uint8Array): number {
  let i = 0;
  while (i < b.length && i < 3 && (b[i]! & 0xc0) === 0x80) i++;
  return i;
}
