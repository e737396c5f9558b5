/** Fitting run_python's text into a size counted as the client receives it (JSON-escaped). */
import { describe, expect, test } from "bun:test";
import { cutMiddle, encodedSize, fitOutcome } from "../../../src/output/fit.ts";
import type { RunOutcome } from "../../../src/output/format.ts";

const outcome = (text: string, extra: Partial<RunOutcome> = {}): RunOutcome => ({
  status: "ok",
  output: { text, totalBytes: Buffer.byteLength(text), truncated: false },
  images: [],
  ...extra,
});
const wire = (s: string) => Buffer.byteLength(JSON.stringify(s)) - 2;

describe("encodedSize", () => {
  test("matches JSON.stringify byte for byte", () => {
    for (const s of [
      "plain",
      'quote " and \\ backslash',
      "new\nline\ttab",
      "\u0001\u001f control",
      "é ü ß",
      "日本語",
      "emoji 😀 pair",
      "lone \ud800 surrogate",
      "\u2028 separator",
    ]) {
      expect(encodedSize(s)).toBe(wire(s));
    }
  });
});

describe("fitOutcome", () => {
  test("3 MB of control characters fits the budget as sent, keeping head, note and tail", () => {
    const text = `HEAD${"\u0001".repeat(3 * 1024 * 1024)}TAIL`;
    const fitted = fitOutcome(outcome(text), 24 * 1024);
    expect(wire(fitted.output.text)).toBeLessThanOrEqual(24 * 1024);
    expect(fitted.output.text.startsWith("HEAD")).toBe(true);
    expect(fitted.output.text.endsWith("TAIL")).toBe(true);
    expect(fitted.output.text.includes("output cut: the code wrote 3.0 MiB (3145736 bytes)")).toBe(true);
    expect(fitted.output.truncated).toBe(true);
    expect(JSON.stringify({ status: "ok", output: fitted.output.text, truncated: true }).length).toBeLessThan(
      24 * 1024,
    );
  });

  test("output that fits is untouched; the result and traceback share the budget", () => {
    const small = outcome("hello\n");
    expect(fitOutcome(small, 24 * 1024)).toBe(small);
    const big = outcome("x".repeat(50_000), { value: "v".repeat(50_000), error: undefined });
    const fitted = fitOutcome(big, 24 * 1024);
    const total = wire(fitted.output.text) + wire(fitted.value!);
    expect(total).toBeLessThanOrEqual(24 * 1024);
    expect(fitted.value!.includes("result repr cut to fit 24 KiB")).toBe(true);
    expect(wire(fitted.value!)).toBeLessThanOrEqual(6 * 1024);
  });

  test("a repr the sandbox cut already gets one note, with the full size the sandbox reported, and keeps its tail", () => {
    const sandboxCut = `'${"a".repeat(60_000)}\n[... 2900000 bytes cut in the sandbox: it was 3000002 bytes; showing the first 60000 and the last 40000 ...]\n${"z".repeat(40_000)}'`;
    const fitted = fitOutcome(outcome("", { value: sandboxCut, valueTotalBytes: 3_000_002 }), 24 * 1024);
    expect(fitted.value).toContain("result repr cut to fit 24 KiB: it was 3000002 bytes");
    expect(fitted.value!.match(/cut/g)).toHaveLength(1);
    expect(fitted.value!.endsWith("zzz'")).toBe(true);
    // Without a size from the sandbox the note gives the size of what it cut.
    const plain = fitOutcome(outcome("", { error: "e".repeat(40_000) }), 24 * 1024);
    expect(plain.error).toContain("error text cut to fit 24 KiB: it was 40000 bytes");
  });

  test("never splits a surrogate pair", () => {
    const r = cutMiddle("😀".repeat(10_000), 1000, () => "[cut]");
    expect(r.cut).toBe(true);
    expect(() => encodeURIComponent(r.text)).not.toThrow();
    expect(wire(r.text)).toBeLessThanOrEqual(1000);
  });
});
