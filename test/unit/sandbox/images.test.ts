/** The host's PNG check for image frames from the sandbox. */
import { describe, expect, test } from "bun:test";
import { checkPng } from "../../../src/sandbox/images.ts";
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
    const reason = (b: Uint8Array) => { const r = checkPng(b); return r.ok ? "ok" : r.reason; };
    expect(reason(new Uint8Array(10))).toContain("too short");
    expect(reason(Uint8Array.from([...png.subarray(0, 7), 0, ...png.subarray(8)]))).toBe("no PNG signature");
    expect(reason(withIhdr(png, (v) => v.setUint32(16, 9000)))).toBe("9000×2 px, more than 8000 px on a side");
    expect(reason(withIhdr(png, (v) => v.setUint32(20, 0)))).toContain("zero-sized");
    expect(reason(withIhdr(png, (_v, b) => { b[24] = 3; }))).toBe("invalid IHDR fields");
    const badCrc = Uint8Array.from(png); badCrc[30] ^= 1;
    expect(reason(badCrc)).toBe("the IHDR chunk's CRC does not match");
    expect(reason(png.subarray(0, png.length - 12))).toBe("it does not end with IEND");
    const trailing = Uint8Array.from([...png, 1, 2, 3]);
    expect(reason(trailing)).toBe("it does not end with IEND");
    const long = Uint8Array.from(png); new DataView(long.buffer).setUint32(33, 0xffffff);
    expect(reason(long)).toContain("runs past the end");
  });
});
