/**
 * The host's structural checks of JPEG, GIF and WebP images from the sandbox (PNG is in images.ts),
 * as strict as the PNG one: the signature, every segment/block/chunk inside the bytes, the frame
 * size declared where the format declares it (each side 1..MAX_IMAGE_SIDE px), image data present,
 * nothing after the format's end. Pixels are not decoded. Sources of the structure:
 * - JPEG: ITU-T T.81 (1992) Annex B: markers, segment lengths, SOFn (Y, X, Nf), SOS, entropy-coded
 *   data with stuffed 0xFF00 and RSTn, EOI.
 * - GIF: the GIF89a specification (W3C/CompuServe 1990): header, logical screen descriptor, colour
 *   tables, extension and image blocks as data sub-blocks, trailer 0x3B.
 * - WebP: RFC 9649: RIFF header with the file size, `VP8 ` (key frame start code 9D 01 2A),
 *   `VP8L` (signature 0x2F, version 0), `VP8X` canvas, `ANMF` frames inside the canvas.
 */
export type ImageCheck = { ok: true; width: number; height: number } | { ok: false; reason: string };

const bad = (reason: string): ImageCheck => ({ ok: false, reason });

/** Checks one side against the limit; `what` names it in the reason. */
function side(w: number, h: number, max: number, what: string): ImageCheck | undefined {
  if (!w || !h) return bad(`${what} is zero-sized (${w}×${h})`);
  if (w > max || h > max) return bad(`${w}×${h} px, more than ${max} px on a side`);
  return undefined;
}

/** SOFn markers (frame headers): C0–CF except DHT (C4), JPG (C8) and DAC (CC). */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/** Checks that `b` is a structurally valid JPEG within `maxSide` px a side. */
export function checkJpeg(b: Uint8Array, maxSide: number): ImageCheck {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return bad("no JPEG signature");
  let off = 2;
  let size: { width: number; height: number } | undefined;
  let scans = 0;
  for (;;) {
    if (off >= b.length || b[off] !== 0xff) return bad(`no marker at byte ${off}`);
    while (b[off] === 0xff) off++; // fill bytes before a marker (T.81 B.1.1.2)
    if (off >= b.length) return bad("it ends inside a marker");
    const marker = b[off++]!;
    if (marker === 0xd9) break; // EOI
    if (marker === 0x00) return bad(`an invalid marker at byte ${off - 1}`);
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // TEM, RSTn: no length
    if (marker === 0xd8) return bad("a second start of image");
    if (off + 2 > b.length) return bad("it ends inside a segment header");
    const len = (b[off]! << 8) | b[off + 1]!;
    if (len < 2 || off + len > b.length) return bad(`segment 0x${marker.toString(16)} runs past the end`);
    const seg = b.subarray(off + 2, off + len);
    off += len;
    if (isSof(marker)) {
      if (size) return bad("more than one frame header (SOF)");
      if (seg.length < 6) return bad("a frame header (SOF) that is too short");
      const height = (seg[1]! << 8) | seg[2]!;
      const width = (seg[3]! << 8) | seg[4]!;
      const components = seg[5]!;
      if (components < 1 || components > 4 || seg.length !== 6 + 3 * components)
        return bad("invalid frame header (SOF) fields");
      const wrong = side(width, height, maxSide, "the frame");
      if (wrong) return wrong;
      size = { width, height };
    } else if (marker === 0xda) {
      if (!size) return bad("a scan (SOS) before the frame header (SOF)");
      const n = seg[0] ?? 0;
      if (n < 1 || n > 4 || seg.length !== 4 + 2 * n) return bad("invalid scan header (SOS) fields");
      scans++;
      // Entropy-coded data: 0xFF is followed by 0x00 (a stuffed byte), RSTn, or the next marker.
      for (;;) {
        if (off >= b.length) return bad("it ends inside scan data (no end of image)");
        if (b[off] !== 0xff) {
          off++;
          continue;
        }
        const next = b[off + 1];
        if (next === 0x00 || (next !== undefined && next >= 0xd0 && next <= 0xd7)) {
          off += 2;
          continue;
        }
        break;
      }
    }
  }
  if (!size) return bad("no frame header (SOF)");
  if (!scans) return bad("no image data (SOS)");
  if (off !== b.length) return bad(`${b.length - off} bytes after the end of image (EOI)`);
  return { ok: true, ...size };
}

const u16le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8);

/** Skips GIF data sub-blocks from `off`; the offset after the terminator, or -1 when they run past the end. */
function skipSubBlocks(b: Uint8Array, off: number): number {
  while (off < b.length) {
    const n = b[off]!;
    off += 1 + n;
    if (n === 0) return off;
  }
  return -1;
}

/** Checks that `b` is a structurally valid GIF (87a or 89a) within `maxSide` px a side. */
export function checkGif(b: Uint8Array, maxSide: number): ImageCheck {
  const sig = String.fromCharCode(...b.subarray(0, 6));
  if (sig !== "GIF87a" && sig !== "GIF89a") return bad("no GIF signature");
  if (b.length < 14) return bad(`${b.length} bytes is too short for a GIF`);
  const width = u16le(b, 6);
  const height = u16le(b, 8);
  const wrong = side(width, height, maxSide, "the logical screen");
  if (wrong) return wrong;
  let off = 13 + (b[10]! & 0x80 ? 3 * 2 ** ((b[10]! & 7) + 1) : 0);
  let frames = 0;
  for (;;) {
    if (off >= b.length) return bad("it ends without the trailer (0x3B)");
    const block = b[off]!;
    if (block === 0x3b) {
      off++;
      break;
    }
    if (block === 0x21) {
      if (off + 2 > b.length) return bad("it ends inside an extension");
      off = skipSubBlocks(b, off + 2);
      if (off < 0) return bad("an extension runs past the end");
    } else if (block === 0x2c) {
      if (off + 10 > b.length) return bad("it ends inside an image descriptor");
      const [left, top, w, h] = [u16le(b, off + 1), u16le(b, off + 3), u16le(b, off + 5), u16le(b, off + 7)];
      if (!w || !h || left + w > width || top + h > height)
        return bad(`a frame (${w}×${h} at ${left},${top}) outside the ${width}×${height} screen`);
      const packed = b[off + 9]!;
      off += 10 + (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);
      const codeSize = b[off];
      if (codeSize === undefined || codeSize < 2 || codeSize > 8) return bad("invalid LZW minimum code size");
      off = skipSubBlocks(b, off + 1);
      if (off < 0) return bad("image data runs past the end");
      frames++;
    } else {
      return bad(`an unknown block 0x${block.toString(16)} at byte ${off}`);
    }
  }
  if (!frames) return bad("no image data");
  if (off !== b.length) return bad(`${b.length - off} bytes after the trailer`);
  return { ok: true, width, height };
}

const u24le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
const u32le = (b: Uint8Array, i: number) => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
const fourcc = (b: Uint8Array, i: number) => String.fromCharCode(...b.subarray(i, i + 4));

interface Chunk {
  type: string;
  data: Uint8Array;
}

/** The RIFF chunks of `b` from `off` to the end, or why they do not tile it exactly. */
function riffChunks(b: Uint8Array, off: number): Chunk[] | string {
  const out: Chunk[] = [];
  while (off < b.length) {
    if (off + 8 > b.length) return "it ends inside a chunk header";
    const size = u32le(b, off + 4);
    if (size > b.length - off - 8) return `chunk ${JSON.stringify(fourcc(b, off))} runs past the end`;
    out.push({ type: fourcc(b, off), data: b.subarray(off + 8, off + 8 + size) });
    off += 8 + size + (size & 1);
  }
  return off === b.length ? out : "the last chunk's padding runs past the end";
}

/** The size a `VP8 ` or `VP8L` bitstream declares, or why it is not one. */
function bitstreamSize(c: Chunk): { width: number; height: number } | string {
  const d = c.data;
  if (c.type === "VP8 ") {
    if (d.length < 10) return "a VP8 chunk that is too short";
    if (d[0]! & 1) return "a VP8 chunk that is not a key frame";
    if (d[3] !== 0x9d || d[4] !== 0x01 || d[5] !== 0x2a) return "no VP8 start code";
    return { width: u16le(d, 6) & 0x3fff, height: u16le(d, 8) & 0x3fff };
  }
  if (d.length < 5 || d[0] !== 0x2f) return "no VP8L signature";
  const bits = u32le(d, 1);
  if (bits >>> 29 !== 0) return "an unknown VP8L version";
  return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
}

/** Checks that `b` is a structurally valid WebP (simple or extended) within `maxSide` px a side. */
export function checkWebp(b: Uint8Array, maxSide: number): ImageCheck {
  if (b.length < 20 || fourcc(b, 0) !== "RIFF" || fourcc(b, 8) !== "WEBP") return bad("no WebP signature");
  if (u32le(b, 4) + 8 !== b.length)
    return bad(`the RIFF header says ${u32le(b, 4) + 8} bytes, the image has ${b.length}`);
  const chunks = riffChunks(b, 12);
  if (typeof chunks === "string") return bad(chunks);
  const first = chunks[0]!;
  if (first.type === "VP8 " || first.type === "VP8L") {
    if (chunks.length !== 1) return bad("a simple WebP with more than one chunk");
    const size = bitstreamSize(first);
    if (typeof size === "string") return bad(size);
    return side(size.width, size.height, maxSide, "the image") ?? { ok: true, ...size };
  }
  if (first.type !== "VP8X" || first.data.length !== 10) return bad("the first chunk is not VP8 , VP8L or VP8X");
  const width = u24le(first.data, 4) + 1;
  const height = u24le(first.data, 7) + 1;
  const wrong = side(width, height, maxSide, "the canvas");
  if (wrong) return wrong;
  const animated = Boolean(first.data[0]! & 0x02);
  let images = 0;
  for (const c of chunks.slice(1)) {
    if (c.type === "VP8X") return bad("more than one VP8X chunk");
    if (c.type === "VP8 " || c.type === "VP8L") {
      if (animated) return bad("a still bitstream in an animated WebP");
      const size = bitstreamSize(c);
      if (typeof size === "string") return bad(size);
      if (size.width !== width || size.height !== height)
        return bad(`a ${size.width}×${size.height} bitstream on a ${width}×${height} canvas`);
      images++;
    } else if (c.type === "ANMF") {
      if (!animated || c.data.length < 16) return bad("an invalid animation frame (ANMF)");
      const [x, y, w, h] = [u24le(c.data, 0) * 2, u24le(c.data, 3) * 2, u24le(c.data, 6) + 1, u24le(c.data, 9) + 1];
      if (x + w > width || y + h > height)
        return bad(`a frame (${w}×${h} at ${x},${y}) outside the ${width}×${height} canvas`);
      const inner = riffChunks(c.data, 16);
      if (typeof inner === "string") return bad(`in an animation frame: ${inner}`);
      const bits = inner.find((i) => i.type === "VP8 " || i.type === "VP8L");
      if (!bits) return bad("an animation frame without image data");
      const size = bitstreamSize(bits);
      if (typeof size === "string") return bad(size);
      if (size.width !== w || size.height !== h)
        return bad(`a ${size.width}×${size.height} bitstream in a ${w}×${h} frame`);
      images++;
    }
  }
  if (!images) return bad("no image data");
  return { ok: true, width, height };
}
