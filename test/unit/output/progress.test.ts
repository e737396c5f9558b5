import { expect, test } from "bun:test";
import { ProgressStreamer } from "../../../src/output/progress.ts";

test("progress sends complete lines, at most once per interval, and the rest on flush", () => {
  let now = 0;
  const sent: Array<[number, string]> = [];
  const p = new ProgressStreamer({ send: (n, m) => sent.push([n, m]) }, 100, () => now);
  now = 100;
  p.push("a\nb");
  expect(sent).toEqual([[1, "a"]]);
  now = 150;
  p.push("c\nd\n");
  expect(sent).toHaveLength(1); // within the interval
  now = 250;
  p.push("e");
  expect(sent).toEqual([
    [1, "a"],
    [2, "bc\nd"],
  ]);
  p.flush();
  expect(sent.at(-1)).toEqual([3, "e"]);
  p.flush();
  expect(sent).toHaveLength(3);
});

test("huge batches are cut", () => {
  const sent: string[] = [];
  const p = new ProgressStreamer({ send: (_n, m) => sent.push(m) }, 0, () => 0);
  p.push("x".repeat(20000) + "\n");
  expect(sent[0]!.length).toBeLessThan(8300);
  expect(sent[0]).toContain("more characters in the final result");
});

test("30 MB without a newline is counted, not kept: one capped message with the true size", () => {
  const sent: string[] = [];
  const p = new ProgressStreamer({ send: (_n, m) => sent.push(m) }, 0, () => 0);
  const chunk = "y".repeat(64 * 1024);
  for (let i = 0; i < 480; i++) p.push(chunk);
  expect(sent).toEqual([]); // no complete line yet
  p.push("\nnext");
  expect(sent).toHaveLength(1);
  expect(sent[0]!.length).toBeLessThan(8300);
  expect(sent[0]!.endsWith(`\n[... ${480 * 64 * 1024 - 8192} more characters in the final result]`)).toBe(true);
  p.flush();
  expect(sent.at(-1)).toBe("next");
});

test("notices (an upstream server's progress) share the counter, the interval and the cap; only the latest waits; none after the end", async () => {
  let now = 1000;
  const sent: Array<[number, string]> = [];
  const p = new ProgressStreamer({ send: (n, m) => sent.push([n, m]) }, 100, () => now);
  p.notice("[srv.tool 1/3] first");
  expect(sent).toEqual([[1, "[srv.tool 1/3] first"]]);
  p.push("printed\n"); // within the interval: waits
  p.notice("[srv.tool 2/3] second");
  p.notice("x".repeat(20_000)); // replaces "second"; cut
  expect(sent).toHaveLength(1);
  now = 1100;
  await Bun.sleep(150);
  expect(sent.map(([n]) => n)).toEqual([1, 2, 3]);
  expect(sent[1]).toEqual([2, "printed"]); // output that waited goes first
  expect(sent[2]![1].length).toBeLessThan(8300);
  expect(sent[2]![1]).toContain("more characters");
  now = 1150;
  p.notice("[srv.tool 3/3] late");
  p.end();
  await Bun.sleep(150);
  expect(sent).toHaveLength(3);
});
