import { describe, expect, test } from "bun:test";
import { formatBytes, formatDuration, parseDuration, parseSize } from "../../../src/config/units.ts";

describe("parseDuration", () => {
  test.each([
    ["30", 30_000],
    ["30s", 30_000],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["500ms", 500],
    ["1.5s", 1500],
    [" 45 ", 45_000],
    ["0", 0],
  ])("%p → %p ms", (input, ms) => expect(parseDuration(input)).toBe(ms));
  test("a number means seconds", () => expect(parseDuration(12)).toBe(12_000));
  test.each(["", "abc", "-1", "1d", "30 seconds", "1e3", "s"])("rejects %p", (input) =>
    expect(parseDuration(input)).toBeUndefined(),
  );
});

describe("parseSize", () => {
  test.each([
    ["100", 100],
    ["64k", 65536],
    ["1m", 1048576],
    ["2g", 2 * 1024 ** 3],
    ["10MB", 10 * 1048576],
    ["1.5k", 1536],
  ])("%p → %p bytes", (input, n) => expect(parseSize(input)).toBe(n));
  test.each(["", "x", "-5", "5t", "1 0"])("rejects %p", (input) => expect(parseSize(input)).toBeUndefined());
});

describe("formatting", () => {
  test("durations round-trip through parseDuration", () => {
    for (const ms of [500, 30_000, 120_000, 3_600_000, 1500]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
  test("bytes", () => {
    expect(formatBytes(12)).toBe("12 B");
    expect(formatBytes(10 * 1024 * 1024)).toBe("10 MiB");
    expect(formatBytes(1536)).toBe("1.5 KiB");
  });
});
