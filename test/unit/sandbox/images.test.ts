/** The host's checks of image frames from the sandbox: PNG, JPEG, GIF and WebP. */
import { describe, expect, test } from "bun:test";
import { checkImage, checkPng, imageMime } from "../../../src/sandbox/images.ts";
import { SAMPLE_IMAGES } from "../../support/images.ts";
import { makePng } from "../../support/png.ts";

const withIhdr = (png: Uint8Array, patch: (v: DataView, b: Uint8Array) => void) => {
  const b = Uint8Array.from(png);
  patch(new DataView(b.buffer), b);
  new DataView(b.buffer).setUint32(29, Bun.hash.crc32(b.subarray(12, 29)));
  return b;
};

describe("checkPng", () => {
  test("a real PNG passes with its dimensions", () => {
    expect(checkPng(makePng(7, 3))).toEqual({ ok: true, width: 7, height: 3 });
    expect(checkPng(makePng(2, 2, 100_000))).toMatchObject({ ok: true });
  });
  test("refusals name the reason", () => {
    const png = makePng(2, 2);
    const reason = (b: Uint8Array) => {
      const r = checkPng(b);
      return r.ok ? "ok" : r.reason;
    };
    expect(reason(new Uint8Array(10))).toContain("too short");
    expect(reason(Uint8Array.from([...png.subarray(0, 7), 0, ...png.subarray(8)]))).toBe("no PNG signature");
    expect(reason(withIhdr(png, (v) => v.setUint32(16, 9000)))).toBe("9000×2 px, more than 8000 px on a side");
    expect(reason(withIhdr(png, (v) => v.setUint32(20, 0)))).toContain("zero-sized");
    expect(
      reason(
        withIhdr(png, (_v, b) => {
          b[24] = 3;
        }),
      ),
    ).toBe("invalid IHDR fields");
    const badCrc = Uint8Array.from(png);
    badCrc[30] ^= 1;
    expect(reason(badCrc)).toBe("the IHDR chunk's CRC does not match");
    expect(reason(png.subarray(0, png.length - 12))).toBe("it does not end with IEND");
    const trailing = Uint8Array.from([...png, 1, 2, 3]);
    expect(reason(trailing)).toBe("it does not end with IEND");
    const long = Uint8Array.from(png);
    new DataView(long.buffer).setUint32(33, 0xffffff);
    expect(reason(long)).toContain("runs past the end");
  });
});

describe("checkImage: JPEG, GIF and WebP as strictly as PNG", () => {
  const reason = (b: Uint8Array) => {
    const r = checkImage(b);
    return r.ok ? "ok" : r.reason;
  };
  const patched = (src: Uint8Array, at: number, bytes: number[]) => {
    const b = Uint8Array.from(src);
    b.set(bytes, at);
    return b;
  };

  test("real files pass with their size and MIME type", () => {
    const I = SAMPLE_IMAGES;
    expect(checkImage(I.jpeg)).toEqual({ ok: true, width: 7, height: 3, mime: "image/jpeg" });
    expect(checkImage(I.jpegProgressive)).toEqual({ ok: true, width: 9, height: 5, mime: "image/jpeg" });
    expect(checkImage(I.jpegGrey)).toEqual({ ok: true, width: 4, height: 4, mime: "image/jpeg" });
    expect(checkImage(I.gif)).toEqual({ ok: true, width: 7, height: 3, mime: "image/gif" });
    expect(checkImage(I.gifAnimated)).toEqual({ ok: true, width: 7, height: 3, mime: "image/gif" });
    for (const webp of [I.webpLossy, I.webpLossless, I.webpAlpha, I.webpAnimated])
      expect(checkImage(webp)).toEqual({ ok: true, width: 7, height: 3, mime: "image/webp" });
    expect(checkImage(makePng(5, 4))).toEqual({ ok: true, width: 5, height: 4, mime: "image/png" });
    expect(imageMime(I.webpLossy)).toBe("image/webp");
  });

  test("an unknown signature is refused", () => {
    expect(reason(new TextEncoder().encode("BM not a bitmap we take"))).toBe(
      "not a PNG, JPEG, GIF or WebP image (no known signature)",
    );
    expect(reason(new Uint8Array(0))).toContain("no known signature");
  });

  test("JPEG: a signature over garbage, absurd sizes, truncation and trailing data are refused", () => {
    const jpeg = SAMPLE_IMAGES.jpeg;
    expect(reason(Uint8Array.from([0xff, 0xd8, 0xff, ...new TextEncoder().encode("garbage".repeat(20))]))).toStartWith(
      "JPEG: ",
    );
    const sof = jpeg.findIndex((v, i) => v === 0xff && jpeg[i + 1] === 0xc0);
    expect(reason(patched(jpeg, sof + 5, [0x23, 0x28]))).toBe("JPEG: 7×9000 px, more than 8000 px on a side"); // Y = 9000
    expect(reason(patched(jpeg, sof + 5, [0, 0]))).toContain("zero-sized");
    expect(reason(jpeg.subarray(0, jpeg.length - 2))).toBe("JPEG: it ends inside scan data (no end of image)");
    expect(reason(jpeg.subarray(0, 300))).toStartWith("JPEG: ");
    expect(reason(Uint8Array.from([...jpeg, 1, 2, 3]))).toBe("JPEG: 3 bytes after the end of image (EOI)");
    const sos = jpeg.findIndex((v, i) => v === 0xff && jpeg[i + 1] === 0xda);
    expect(reason(Uint8Array.from([...jpeg.subarray(0, sof), ...jpeg.subarray(sos)]))).toStartWith(
      "JPEG: a scan (SOS) before the frame header",
    );
  });

  test("GIF: sizes, frames outside the screen, truncation and trailing data are refused", () => {
    const gif = SAMPLE_IMAGES.gif;
    expect(reason(patched(gif, 6, [0x28, 0x23]))).toBe("GIF: 9000×3 px, more than 8000 px on a side");
    expect(reason(patched(gif, 8, [0, 0]))).toContain("zero-sized");
    const desc = gif.indexOf(0x2c, 13);
    expect(reason(patched(gif, desc + 5, [8, 0]))).toBe("GIF: a frame (8×3 at 0,0) outside the 7×3 screen");
    expect(reason(gif.subarray(0, gif.length - 1))).toBe("GIF: it ends without the trailer (0x3B)");
    expect(reason(gif.subarray(0, 20))).toStartWith("GIF: ");
    expect(reason(Uint8Array.from([...gif, 0]))).toBe("GIF: 1 bytes after the trailer");
    expect(
      reason(Uint8Array.from([...new TextEncoder().encode("GIF89a"), ...new Uint8Array(100).fill(0x78)])),
    ).toStartWith("GIF: ");
  });

  test("WebP: a wrong RIFF size, truncation, absurd canvases and mismatched bitstreams are refused", () => {
    const lossy = SAMPLE_IMAGES.webpLossy;
    expect(reason(lossy.subarray(0, lossy.length - 4))).toBe(
      `WebP: the RIFF header says ${lossy.length} bytes, the image has ${lossy.length - 4}`,
    );
    expect(reason(Uint8Array.from([...lossy, 0, 0]))).toStartWith("WebP: the RIFF header says");
    expect(reason(patched(lossy, 26, [0x28, 0x23]))).toBe("WebP: 9000×3 px, more than 8000 px on a side"); // VP8 width
    expect(reason(patched(lossy, 23, [0, 0, 0]))).toBe("WebP: no VP8 start code");
    const alpha = SAMPLE_IMAGES.webpAlpha;
    expect(reason(patched(alpha, 24, [0x27, 0x23, 0]))).toBe("WebP: 9000×3 px, more than 8000 px on a side"); // VP8X canvas width - 1
    expect(reason(patched(alpha, 24, [7, 0, 0]))).toBe("WebP: a 7×3 bitstream on a 8×3 canvas");
    const fake = Uint8Array.from([
      ...new TextEncoder().encode("RIFF"),
      12,
      0,
      0,
      0,
      ...new TextEncoder().encode("WEBPjunk"),
      0,
      0,
      0,
      0,
    ]);
    expect(reason(fake)).toStartWith("WebP: ");
  });
});
