/**
 * The host side of the sandbox channel's wire format: each frame is a u32 header length, a u32 body
 * length (both big-endian), a JSON header and a raw body. The Python runtime speaks the same format.
 */
import { BridgeError } from "../errors.ts";

/** One message on the channel: a JSON header (always has `t`, the type) and raw bytes. */
export interface Frame {
  header: { t: string; [key: string]: unknown };
  body: Uint8Array;
}

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
 * Incremental decoder: feed chunks as they arrive, get complete frames back. Throws SANDBOX_FAILED
 * when the stream cannot be a channel (the caller then discards the container).
 */
export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  /** Adds bytes; returns every frame now complete, in order. */
  push(chunk: Uint8Array): Frame[] {
    if (chunk.length) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Frame[] = [];
    while (this.buffered >= PREFIX) {
      const prefix = this.peek(PREFIX);
      const view = new DataView(prefix.buffer, prefix.byteOffset, PREFIX);
      const hlen = view.getUint32(0);
      const blen = view.getUint32(4);
      if (hlen > MAX_HEADER_BYTES) {
        throw new BridgeError("SANDBOX_FAILED", `sandbox channel is corrupt (frame header of ${hlen} bytes)`);
      }
      if (this.buffered < PREFIX + hlen + blen) break;
      const all = this.take(PREFIX + hlen + blen);
      let header: Frame["header"];
      try {
        header = JSON.parse(decoder.decode(all.subarray(PREFIX, PREFIX + hlen)));
      } catch (err) {
        throw new BridgeError("SANDBOX_FAILED", "sandbox channel is corrupt (frame header is not JSON)", { cause: err });
      }
      if (!header || typeof header !== "object" || typeof header.t !== "string") {
        throw new BridgeError("SANDBOX_FAILED", "sandbox channel is corrupt (frame header has no type)");
      }
      frames.push({ header, body: all.subarray(PREFIX + hlen) });
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

  private concat(): Uint8Array {
    const out = new Uint8Array(this.buffered);
    let off = 0;
    for (const c of this.chunks) { out.set(c, off); off += c.length; }
    return out;
  }
}
