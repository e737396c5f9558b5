/** Read-only runs share a directory; a writer excludes them and they exclude a writer; dead owners do not count. */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { ensureLayout } from "../../../src/queue/layout.ts";
import { isReadOnlyRun, tryLockExclusive, tryLockShared, unlockShared } from "../../../src/worker/cwd-shared-lock.ts";
import { unlockCwd } from "../../../src/worker/cwd-lock.ts";

const root = mkdtempSync(join(tmpdir(), "bridge-shared-lock-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const layout = ensureLayout({ root });
const beat = (id: string, pid: number) => writeFileSync(join(layout.workers, `${id}.json`), JSON.stringify({ workerId: id, pid, hostname: hostname(), version: "v", startedAt: "s", at: new Date().toISOString(), concurrency: 1, running: [], draining: false }));
beat("w-a", process.pid);
beat("w-b", process.pid);

test("readers share; a writer waits for them; readers wait for a writer", () => {
  expect(tryLockShared(layout, "/repo", "w-a", "c-1")).toBe(true);
  expect(tryLockShared(layout, "/repo", "w-b", "c-2")).toBe(true);
  expect(tryLockExclusive(layout, "/repo", "w-b")).toBe(false);
  unlockShared(layout, "/repo", "w-a", "c-1");
  unlockShared(layout, "/repo", "w-b", "c-2");
  expect(tryLockExclusive(layout, "/repo", "w-b")).toBe(true);
  expect(tryLockShared(layout, "/repo", "w-a", "c-3")).toBe(false);
  unlockCwd(layout, "/repo", "w-b");
  expect(tryLockShared(layout, "/repo", "w-a", "c-3")).toBe(true);
  unlockShared(layout, "/repo", "w-a", "c-3");
});

test("a reader left by a dead worker does not block a writer", () => {
  beat("w-dead", 2 ** 22 + 12345);
  expect(tryLockShared(layout, "/other", "w-dead", "c-9")).toBe(true);
  expect(tryLockExclusive(layout, "/other", "w-a")).toBe(true);
  unlockCwd(layout, "/other", "w-a");
});

test("read-only: the effective mode under the ceiling", () => {
  expect(isReadOnlyRun({ permission_mode: "plan" }, "default", ["plan"])).toBe(true);
  expect(isReadOnlyRun({}, "plan", ["plan"])).toBe(true); // the worker's ceiling makes every run plan
  expect(isReadOnlyRun({}, "default", ["plan"])).toBe(false);
  expect(isReadOnlyRun({ permission_mode: "bypassPermissions" }, "plan", ["plan"])).toBe(false); // refused later; locked as a writer
  expect(isReadOnlyRun({ permission_mode: "dontAsk" }, "default", ["plan", "dontAsk"])).toBe(true);
});
