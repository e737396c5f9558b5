/**
 * The host side of the sandbox channel's wire format: each frame is a u32 header length, a u32 body
 * length (both big-endian), a JSON header and a raw body. The Python runtime speaks the same format.
 */
import { BridgeError } from "../errors.ts";

/** One message on the channel: a JSON header (always has `t`, the type) and raw bytes. */
export interface Frame {
  header: { t: string; [key: string]: unknown };
  body: Uint8Array;
  /**
   * Set when the declared body was larger than the decoder's limit for this frame: its size in
   * bytes. `body` is then empty; the bytes were skipped as they arrived, never buffered.
   */
  dropped?: number;
}

/** Largest body accepted for a frame, given its header; larger ones are skipped (`dropped`). */
export type BodyLimit = (header: Frame["header"]) => number;

const PREFIX = 8;
/** Larger headers mean the stream is not a bridge channel (or has been corrupted). */
export const MAX_HEADER_BYTES = 1 << 20;
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes one frame. */
export function encodeFrame(header: Frame["header"], body: Uint8Array = EMPTY): Uint8Array {
  const h = encoder.encode(JSON.stringify(header));
  const out = new Uint8Array(PREFIX + h.length + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, h.length);
  view.setUint32(4, body.length);
  out.set(h, PREFIX);
  out.set(body, PREFIX + h.length);
  return out;
}

/**
 * Incremental decoder: feed chunks as they arrive, get complete frames back. The header is parsed
 * as soon as it is in, so a body over `bodyLimit` is skipped without being buffered (the frame is
 * returned with `dropped`); memory stays within one header plus one accepted body. Throws
 * SANDBOX_FAILED when the stream cannot be a channel (the caller then discards the container).
 */
export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Header of the frame whose body is awaited. */
  private head?: { header: Frame["header"]; bodyBytes: number };
  /** Bytes of a dropped body still to skip. */
  private skip = 0;

  constructor(
    private readonly bodyLimit: BodyLimit = () => Infinity,
    private readonly maxHeaderBytes = MAX_HEADER_BYTES,
  ) {}

  /** Adds bytes; returns every frame now complete, in order. */
  push(chunk: Uint8Array): Frame[] {
    if (chunk.length) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (this.skip > 0) {
        this.skip -= this.discard(Math.min(this.skip, this.buffered));
        if (this.skip > 0) break;
      }
      if (!this.head) {
        if (this.buffered < PREFIX) break;
        const prefix = this.peek(PREFIX);
        const view = new DataView(prefix.buffer, prefix.byteOffset, PREFIX);
        const hlen = view.getUint32(0);
        const blen = view.getUint32(4);
        if (hlen > this.maxHeaderBytes) {
          throw new BridgeError("SANDBOX_FAILED", `sandbox channel is corrupt (frame header of ${hlen} bytes)`);
        }
        if (this.buffered < PREFIX + hlen) break;
        const header = parseHeader(this.take(PREFIX + hlen).subarray(PREFIX));
        if (blen > this.bodyLimit(header)) {
          frames.push({ header, body: EMPTY, dropped: blen });
          this.skip = blen;
          continue;
        }
        this.head = { header, bodyBytes: blen };
      }
      if (this.buffered < this.head.bodyBytes) break;
      const body = this.head.bodyBytes ? this.take(this.head.bodyBytes) : EMPTY;
      frames.push({ header: this.head.header, body });
      this.head = undefined;
    }
    return frames;
  }

  /** Bytes received but not yet part of a complete frame. */
  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Uint8Array {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!.subarray(0, n);
    this.chunks = [this.concat()];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0]!;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const all = this.concat();
      out = all.subarray(0, n);
      this.chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.buffered -= n;
    return out;
  }

  /** Drops n buffered bytes without copying them; returns n. */
  private discard(n: number): number {
    let left = n;
    while (left > 0) {
      const first = this.chunks[0]!;
      if (first.length <= left) {
        this.chunks.shift();
        left -= first.length;
      } else {
        this.chunks[0] = first.subarray(left);
        left = 0;
      }
    }
    this.buffered -= n;
    return n;
  }

  private concat(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0]!;
    const out = new Uint8Array(this.buffered);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

function parseHeader(bytes: Uint8Array): Frame["header"] {
  let header: Frame["header"];
  try {
    header = JSON.parse(decoder.decode(bytes));
  } catch (err) {
    throw new BridgeError("SANDBOX_FAILED", "sandbox channel is corrupt (frame header is not JSON)", { cause: err });
  }
  if (!header || typeof header !== "object" || typeof header.t !== "string") {
    throw new BridgeError("SANDBOX_FAILED", "sandbox channel is corrupt (frame header has no type)");
  }
  return header;
}
