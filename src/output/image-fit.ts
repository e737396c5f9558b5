/**
 * What image sizes MCP clients' model APIs accept. Anthropic's API rejects images larger than
 * 8000 px on a side (docs.anthropic.com, "Vision": size limits); others accept less or the same.
 * The sandbox downscales figures and, with Pillow, PNG bytes before sending them
 * (src/sandbox/python/data.py); this is the host's check of what arrives, since the sandbox is
 * untrusted: an image that still exceeds the limit is dropped with a note instead of making the
 * client's next model request fail.
 */

/** Largest width or height, in pixels, an image may have. */
export const MAX_IMAGE_SIDE = 8000;

/** Width and height from a PNG's IHDR chunk (bytes 16–23), or undefined when it is not a PNG. */
export function pngDimensions(png: Uint8Array): { width: number; height: number } | undefined {
  if (png.length < 24 || png[12] !== 0x49 || png[13] !== 0x48 || png[14] !== 0x44 || png[15] !== 0x52) return undefined;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Why a PNG is too large to return as an image, or undefined (also when it has no IHDR to read: validity is checked elsewhere). */
export function imageProblem(png: Uint8Array): string | undefined {
  const d = pngDimensions(png);
  if (d && Math.max(d.width, d.height) > MAX_IMAGE_SIDE) {
    return `${d.width} x ${d.height} px is larger than clients accept (${MAX_IMAGE_SIDE} px per side); downscale it (e.g. a smaller figsize or dpi), or install Pillow in the image so bridge can`;
  }
  return undefined;
}
