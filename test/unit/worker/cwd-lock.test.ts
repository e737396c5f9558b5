import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { ensureLayout } from "../../../src/queue/layout.ts";
import { tryLockCwd, unlockCwd } from "../../../src/worker/cwd-lock.ts";

let dirs: string[] = [];
afterEach(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); dirs = []; });

test("one holder per directory; release; a lock of a gone worker is taken over", () => {
  const root = mkdtempSync(join(tmpdir(), "bridge-unit-lock-"));
  dirs.push(root);
  const layout = ensureLayout({ root });
  const beat = (workerId: string, pid: number) => writeFileSync(join(layout.workers, `${workerId}.json`), JSON.stringify({ workerId, pid, hostname: hostname(), version: "v", startedAt: "s", at: new Date().toISOString(), concurrency: 1, running: [], draining: false }));
  beat("w-a", process.pid);
  expect(tryLockCwd(layout, "/repo", "w-a")).toBe(true);
  expect(tryLockCwd(layout, "/repo", "w-a")).toBe(true);
  expect(tryLockCwd(layout, "/repo", "w-b")).toBe(false);
  expect(tryLockCwd(layout, "/other", "w-b")).toBe(true);
  unlockCwd(layout, "/repo", "w-b"); // not the holder: no effect
  expect(tryLockCwd(layout, "/repo", "w-b")).toBe(false);
  unlockCwd(layout, "/repo", "w-a");
  expect(tryLockCwd(layout, "/repo", "w-b")).toBe(true);
  // w-b has no heartbeat and w-c's pid is dead: both count as gone.
  expect(tryLockCwd(layout, "/repo", "w-c")).toBe(true);
  beat("w-c", 2 ** 22 + 12345);
  expect(tryLockCwd(layout, "/repo", "w-d")).toBe(true);
  expect(readdirSync(layout.locks).length).toBe(2);
  expect(readdirSync(layout.tmp)).toEqual([]);
});
