import { describe, expect, test } from "bun:test";
import { OutputCollector, utf8Boundary, utf8Start } from "../../../src/output/collector.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("OutputCollector", () => {
  test("under the cap: every byte, in order, blank lines kept", () => {
    const c = new OutputCollector(100);
    for (const part of ["a\n", "\n", "\n", "b  \n", "é✓\n"]) c.push(enc(part));
    expect(c.result()).toEqual({ text: "a\n\n\nb  \né✓\n", totalBytes: 14, truncated: false });
  });

  test("exactly at the cap is not truncated", () => {
    const c = new OutputCollector(10);
    c.push(enc("0123456789"));
    expect(c.result()).toEqual({ text: "0123456789", totalBytes: 10, truncated: false });
  });

  test("over the cap: head and tail kept, with a note giving what was cut and the full size", () => {
    const c = new OutputCollector(100);
    const total = 10_000;
    for (let i = 0; i < total / 10; i++) c.push(enc(String(i % 10).repeat(9) + "\n"));
    const r = c.result();
    expect(r.truncated).toBe(true);
    expect(r.totalBytes).toBe(total);
    expect(r.text.startsWith("000000000\n111111111\n")).toBe(true);
    expect(r.text.endsWith("999999999\n")).toBe(true);
    expect(r.text).toContain(
      "9.7 KiB (9900 bytes) of output cut: the code wrote 9.8 KiB (10000 bytes); showing the first 70 and the last 30 bytes",
    );
  });

  test("memory stays bounded however much is pushed", () => {
    const c = new OutputCollector(1000);
    const chunk = new Uint8Array(64 * 1024).fill(120);
    for (let i = 0; i < 200; i++) c.push(chunk);
    const r = c.result();
    expect(r.totalBytes).toBe(200 * 64 * 1024);
    expect(Buffer.byteLength(r.text)).toBeLessThan(1000 + 300);
  });

  test("cut points never split a UTF-8 character", () => {
    const c = new OutputCollector(10);
    c.push(enc("ééééééééééééé")); // 2-byte characters, 26 bytes
    const r = c.result();
    expect(r.text).not.toContain("\uFFFD");
    expect(r.truncated).toBe(true);
  });

  test("utf8 boundary helpers", () => {
    const b = enc("a✓"); // 61 e2 9c 93
    expect(utf8Boundary(b, 4)).toBe(4);
    expect(utf8Boundary(b, 3)).toBe(1);
    expect(utf8Boundary(b, 2)).toBe(1);
    expect(utf8Start(b.subarray(2))).toBe(2);
    expect(utf8Start(b)).toBe(0);
  });
});
