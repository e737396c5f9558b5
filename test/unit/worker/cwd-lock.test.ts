import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { ensureLayout } from "../../../src/queue/layout.ts";
import { signHeartbeat } from "../../../src/queue/store.ts";
import { tryLockCwd, unlockCwd } from "../../../src/worker/cwd-lock.ts";

const SECRET = "s".repeat(64);
let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

test("one holder per directory; release; a lock of a gone worker is taken over", () => {
  const root = mkdtempSync(join(tmpdir(), "bridge-unit-lock-"));
  dirs.push(root);
  const layout = ensureLayout({ root });
  const deps = { layout, secret: SECRET, now: Date.now };
  const beat = (workerId: string, pid: number) =>
    writeFileSync(
      join(layout.workers, `${workerId}.json`),
      JSON.stringify(
        signHeartbeat(
          {
            workerId,
            pid,
            hostname: hostname(),
            version: "v",
            startedAt: "s",
            at: new Date().toISOString(),
            concurrency: 1,
            running: [],
            draining: false,
          },
          SECRET,
        ),
      ),
    );
  const [a, b, c, d] = [
    `w-${process.pid}-0000000a`,
    `w-${process.pid}-0000000b`,
    "w-4206969-0000000c",
    "w-4206970-0000000d",
  ];
  beat(a, process.pid);
  beat(b, process.pid);
  expect(tryLockCwd(deps, "/repo", a)).toBe(true);
  expect(tryLockCwd(deps, "/repo", a)).toBe(true);
  expect(tryLockCwd(deps, "/repo", b)).toBe(false);
  expect(tryLockCwd(deps, "/other", b)).toBe(true);
  unlockCwd(deps, "/repo", b); // not the holder: no effect
  expect(tryLockCwd(deps, "/repo", b)).toBe(false);
  unlockCwd(deps, "/repo", a);
  expect(tryLockCwd(deps, "/repo", b)).toBe(true);
  expect(tryLockCwd(deps, "/repo", d)).toBe(false); // b is alive
  // c's signed heartbeat names a dead pid: gone, its lock is taken over.
  beat(c, 4206969);
  expect(tryLockCwd(deps, "/x", c)).toBe(true);
  expect(tryLockCwd(deps, "/x", d)).toBe(true);
  // A lock without a valid signature is not a lock, whoever it names.
  for (const name of readdirSync(layout.locks))
    writeFileSync(join(layout.locks, name), JSON.stringify({ lock: name, owner: b, sig: "0".repeat(64) }));
  expect(tryLockCwd(deps, "/repo", d)).toBe(true);
  expect(readdirSync(layout.tmp)).toEqual([]);
});
