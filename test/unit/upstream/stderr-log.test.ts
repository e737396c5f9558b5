import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BoundedLog } from "../../../src/upstream/stderr-log.ts";

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), "bridge-log-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

test("keeps the last lines in memory, partial line included", () => {
  const log = new BoundedLog(temp(), "srv", 10_000);
  log.write("one\ntwo\n");
  log.write("thr");
  log.write("ee\nfour");
  expect(log.lastLines(3)).toEqual(["two", "three", "four"]);
  expect(readFileSync(log.path, "utf8")).toBe("one\ntwo\nthree\nfour");
});

test("stays under the cap by rotating", () => {
  const dir = temp();
  const log = new BoundedLog(dir, "srv", 1000);
  for (let i = 0; i < 200; i++) log.write(`line ${i} ${"x".repeat(20)}\n`);
  const size = statSync(log.path).size + statSync(`${log.path}.1`).size;
  expect(size).toBeLessThanOrEqual(1000);
  expect(readFileSync(log.path, "utf8")).toContain("line 199");
  const huge = "y".repeat(5000);
  log.write(huge);
  expect(statSync(log.path).size).toBeLessThanOrEqual(500);
});

test("an unwritable directory degrades to memory only, with one warning", () => {
  const warnings: string[] = [];
  const log = new BoundedLog("/proc/no-such-dir", "srv", 1000, (m) => warnings.push(m));
  log.write("boom\n");
  log.write("again\n");
  expect(log.lastLines()).toEqual(["boom", "again"]);
  expect(warnings.length).toBe(1);
});
