/**
 * Images from the sandbox: how many and how large one call may return, and the host's own check
 * that an image frame really holds a PNG, JPEG, GIF or WebP (the types MCP clients and the
 * Anthropic API accept) of sane dimensions before it is passed on as MCP image content with its
 * MIME type. The Python side checks the signature too, but code in the sandbox can forge frames.
 * PNG structure per the PNG specification (W3C, 3rd edition): signature, IHDR first, chunks of
 * length + type + data + CRC-32, IEND last; the other formats in image-formats.ts.
 */
import { randomBytes } from "node:crypto";
import { closeSync, constants, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { checkGif, checkJpeg, checkWebp } from "./image-formats.ts";

/** Images one call may return (an MCP message must stay under 10 MiB). */
export const MAX_IMAGES = 16;
/** Image bytes one call may return, all images together (and so the largest single image). */
export const MAX_IMAGE_BYTES = 2 * 1024 * 1024;
/** Largest width or height: the Anthropic API rejects images over 8000 px on a side. */
export const MAX_IMAGE_SIDE = 8000;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IEND = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
/** Bit depths allowed per colour type (PNG spec table 11.1). */
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

export type PngCheck = { ok: true; width: number; height: number } | { ok: false; reason: string };

/** The image types accepted, by MIME type, with their file extension. */
export const IMAGE_TYPES = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/gif": "gif",
  "image/webp": "webp",
} as const;
export type ImageMime = keyof typeof IMAGE_TYPES;
const FORMAT_NAMES: Record<ImageMime, string> = {
  "image/png": "PNG",
  "image/jpeg": "JPEG",
  "image/gif": "GIF",
  "image/webp": "WebP",
};

/** The MIME type of an image by its signature, or undefined for anything else. */
export function imageMime(b: Uint8Array): ImageMime | undefined {
  if (SIGNATURE.every((v, i) => b[i] === v)) return "image/png";
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  const head = String.fromCharCode(...b.subarray(0, 12));
  if (head.startsWith("GIF87a") || head.startsWith("GIF89a")) return "image/gif";
  if (head.startsWith("RIFF") && head.slice(8) === "WEBP") return "image/webp";
  return undefined;
}

/**
 * Checks an image frame's bytes: a known signature, then that format's full structural check
 * (dimensions at most MAX_IMAGE_SIDE a side). The size cap is the caller's (MAX_IMAGE_BYTES).
 */
export function checkImage(
  b: Uint8Array,
): { ok: true; width: number; height: number; mime: ImageMime } | { ok: false; reason: string } {
  const mime = imageMime(b);
  if (!mime) return { ok: false, reason: "not a PNG, JPEG, GIF or WebP image (no known signature)" };
  const r =
    mime === "image/png"
      ? checkPng(b)
      : mime === "image/jpeg"
        ? checkJpeg(b, MAX_IMAGE_SIDE)
        : mime === "image/gif"
          ? checkGif(b, MAX_IMAGE_SIDE)
          : checkWebp(b, MAX_IMAGE_SIDE);
  return r.ok
    ? { ...r, mime }
    : { ok: false, reason: mime === "image/png" ? r.reason : `${FORMAT_NAMES[mime]}: ${r.reason}` };
}

/** Checks that `b` is a structurally valid PNG within MAX_IMAGE_SIDE (pixels are not decoded). */
export function checkPng(b: Uint8Array): PngCheck {
  const bad = (reason: string): PngCheck => ({ ok: false, reason });
  if (b.length < SIGNATURE.length + 25 + IEND.length) return bad(`${b.length} bytes is too short for a PNG`);
  if (!SIGNATURE.every((v, i) => b[i] === v)) return bad("no PNG signature");
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (view.getUint32(8) !== 13 || ascii(b, 12, 4) !== "IHDR") return bad("the first chunk is not IHDR");
  if (view.getUint32(29) !== Bun.hash.crc32(b.subarray(12, 29))) return bad("the IHDR chunk's CRC does not match");
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const [depth, colour, compression, filter, interlace] = [b[24]!, b[25]!, b[26]!, b[27]!, b[28]!];
  if (!width || !height) return bad(`zero-sized (${width}×${height})`);
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE)
    return bad(`${width}×${height} px, more than ${MAX_IMAGE_SIDE} px on a side`);
  if (!DEPTHS[colour]?.includes(depth) || compression !== 0 || filter !== 0 || interlace > 1)
    return bad("invalid IHDR fields");
  let off = 33;
  let sawData = false;
  while (off + 12 <= b.length) {
    const len = view.getUint32(off);
    const type = ascii(b, off + 4, 4);
    if (len > b.length - off - 12) return bad(`chunk ${JSON.stringify(type)} runs past the end`);
    if (type === "IDAT") sawData = true;
    off += 12 + len;
    if (type === "IEND") break;
  }
  if (off !== b.length || !IEND.every((v, i) => b[b.length - IEND.length + i] === v))
    return bad("it does not end with IEND");
  if (!sawData) return bad("no image data (IDAT)");
  return { ok: true, width, height };
}

function ascii(b: Uint8Array, start: number, n: number): string {
  return String.fromCharCode(...b.subarray(start, start + n));
}

/**
 * Saves images as `image-<n>.<png|jpg|gif|webp>` in `dir` (created if missing) for `bridge run --images`. Each file
 * is written to a new temporary file (O_EXCL|O_NOFOLLOW, so nothing at that name is followed) and
 * renamed over the final name, which replaces a symlink or FIFO planted there instead of writing
 * through it. Returns the paths written.
 */
export function saveImages(dir: string, images: Uint8Array[]): string[] {
  mkdirSync(dir, { recursive: true });
  return images.map((png, i) => {
    const ext = IMAGE_TYPES[imageMime(png) ?? "image/png"];
    const path = join(dir, `image-${i + 1}.${ext}`);
    const tmp = join(dir, `.image-${i + 1}.${ext}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    try {
      writeSync(fd, png);
    } finally {
      closeSync(fd);
    }
    try {
      renameSync(tmp, path);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    return path;
  });
}
