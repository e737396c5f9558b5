/**
 * Read-only runs share a directory; a writer excludes them and they exclude a writer; gone owners
 * do not count; and, as for every lock, only signed reader files that stand for a running job do.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { ensureLayout } from "../../../src/queue/layout.ts";
import { signHeartbeat } from "../../../src/queue/store.ts";
import { unlockCwd } from "../../../src/worker/cwd-lock.ts";
import {
  collectSharedLocks,
  isReadOnlyRun,
  sharesDirectory,
  tryLockExclusive,
  tryLockShared,
  unlockShared,
} from "../../../src/worker/cwd-shared-lock.ts";

const SECRET = "s".repeat(64);
const root = mkdtempSync(join(tmpdir(), "bridge-shared-lock-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const layout = ensureLayout({ root });
let clock = Date.now();
const deps = { layout, secret: SECRET, now: () => clock };
const beat = (id: string, pid: number, running: string[] = []) =>
  writeFileSync(
    join(layout.workers, `${id}.json`),
    JSON.stringify(
      signHeartbeat(
        {
          workerId: id,
          pid,
          hostname: hostname(),
          version: "v",
          startedAt: "s",
          at: new Date(clock).toISOString(),
          concurrency: 1,
          running,
          draining: false,
        },
        SECRET,
      ),
    ),
  );
const [A, B, DEAD] = [`w-${process.pid}-0000000a`, `w-${process.pid}-0000000b`, "w-4206969-0000000d"];
const job = (n: number) => `c-0mwsl6vxv-${n.toString(16).padStart(16, "0")}`;
beat(A, process.pid);
beat(B, process.pid);

describe("shared and exclusive", () => {
  test("readers share; a writer waits for them; readers wait for a writer", () => {
    expect(tryLockShared(deps, "/repo", A, job(1))).toBe(true);
    expect(tryLockShared(deps, "/repo", B, job(2))).toBe(true);
    expect(tryLockExclusive(deps, "/repo", B)).toBe(false);
    unlockShared(deps, "/repo", A, job(1));
    unlockShared(deps, "/repo", B, job(2));
    expect(tryLockExclusive(deps, "/repo", B)).toBe(true);
    expect(tryLockShared(deps, "/repo", A, job(3))).toBe(false);
    unlockCwd(deps, "/repo", B);
    expect(tryLockShared(deps, "/repo", A, job(3))).toBe(true);
    unlockShared(deps, "/repo", A, job(3));
  });

  test("a reader left by a dead worker does not block a writer", () => {
    beat(DEAD, 4206969, [job(9)]);
    expect(tryLockShared(deps, "/other", DEAD, job(9))).toBe(true);
    expect(tryLockExclusive(deps, "/other", A)).toBe(true);
    unlockCwd(deps, "/other", A);
  });
});

describe("only real reader files count", () => {
  const locks = () => readdirSync(layout.locks);
  test("an unsigned reader file naming a live worker (pid alive) blocks nothing and is removed", () => {
    expect(tryLockShared(deps, "/f", A, job(4))).toBe(true);
    const [name] = locks().filter((n) => n.includes(".r-"));
    unlockShared(deps, "/f", A, job(4));
    writeFileSync(join(layout.locks, name!), ""); // escalation's old empty marker
    expect(tryLockExclusive(deps, "/f", B)).toBe(true);
    expect(locks()).not.toContain(name);
    unlockCwd(deps, "/f", B);
    writeFileSync(
      join(layout.locks, name!),
      JSON.stringify({ lock: name, owner: A, job: job(4), at: new Date(clock).toISOString(), sig: "0".repeat(64) }),
    );
    expect(tryLockExclusive(deps, "/f", B)).toBe(true);
    unlockCwd(deps, "/f", B);
  });

  test("a genuine reader file copied back after its job ended blocks a writer only while it is fresh", () => {
    expect(tryLockShared(deps, "/g", A, job(5))).toBe(true);
    const [name] = locks().filter((n) => n.includes(".r-"));
    const saved = join(root, "saved");
    copyFileSync(join(layout.locks, name!), saved);
    unlockShared(deps, "/g", A, job(5));
    clock += 11_000;
    beat(A, process.pid, []); // A is alive, but job 5 is not running any more
    beat(B, process.pid);
    copyFileSync(saved, join(layout.locks, name!));
    expect(tryLockExclusive(deps, "/g", B)).toBe(true);
    unlockCwd(deps, "/g", B);
  });

  test("a reader whose job is in its worker's signed heartbeat counts however old", () => {
    expect(tryLockShared(deps, "/h", A, job(6))).toBe(true);
    clock += 60_000;
    beat(A, process.pid, [job(6)]);
    beat(B, process.pid);
    expect(tryLockExclusive(deps, "/h", B)).toBe(false);
    beat(A, process.pid, []);
    expect(tryLockExclusive(deps, "/h", B)).toBe(true);
    unlockCwd(deps, "/h", B);
  });

  test("a copy under another worker's or job's name is not that reader", () => {
    expect(tryLockShared(deps, "/i", A, job(7))).toBe(true);
    const [name] = locks().filter((n) => n.includes(".r-"));
    const forged = name!.replace(job(7), job(8));
    copyFileSync(join(layout.locks, name!), join(layout.locks, forged));
    unlockShared(deps, "/i", A, job(7));
    beat(A, process.pid, [job(8)]);
    expect(tryLockExclusive(deps, "/i", B)).toBe(true);
    unlockCwd(deps, "/i", B);
    beat(A, process.pid, []);
  });

  test("GC removes reader files that stand for nothing, keeps live ones and names it does not know", () => {
    beat(A, process.pid, [job(10)]);
    expect(tryLockShared(deps, "/j", A, job(10))).toBe(true);
    expect(tryLockShared(deps, "/j", A, job(11))).toBe(true); // fresh: kept for now
    writeFileSync(join(layout.locks, "README"), "not bridge's");
    expect(collectSharedLocks(deps)).toBe(0);
    clock += 11_000;
    beat(A, process.pid, [job(10)]);
    expect(collectSharedLocks(deps)).toBe(1); // job 11 never ran
    expect(locks().filter((n) => n.includes(".r-"))).toHaveLength(1);
    expect(locks()).toContain("README");
    beat(A, process.pid, []);
    expect(collectSharedLocks(deps)).toBe(1);
    expect(locks().filter((n) => n.includes(".r-"))).toEqual([]);
  });
});

test("read-only: the effective mode under the ceiling", () => {
  expect(isReadOnlyRun({ permission_mode: "plan" }, "default", ["plan"])).toBe(true);
  expect(isReadOnlyRun({}, "plan", ["plan"])).toBe(true); // the worker's ceiling makes every run plan
  expect(isReadOnlyRun({}, "default", ["plan"])).toBe(false);
  expect(isReadOnlyRun({ permission_mode: "bypassPermissions" }, "plan", ["plan"])).toBe(false); // refused later; locked as a writer
  expect(isReadOnlyRun({ permission_mode: "dontAsk" }, "default", ["plan", "dontAsk"])).toBe(true);
});

test("a plan run in a directory whose project settings the worker loads does not share it (project hooks run in any mode)", () => {
  const rule = { ceiling: "default" as const, modes: ["plan"] };
  expect(sharesDirectory({ permission_mode: "plan" }, "/r/repo", rule)).toBe(true);
  expect(sharesDirectory({ permission_mode: "plan" }, "/r/repo", { ...rule, trustProjectSettings: "all" })).toBe(false);
  expect(
    sharesDirectory({ permission_mode: "plan" }, "/r/repo/sub", { ...rule, trustProjectSettings: ["/r/repo"] }),
  ).toBe(false);
  expect(sharesDirectory({ permission_mode: "plan" }, "/r/other", { ...rule, trustProjectSettings: ["/r/repo"] })).toBe(
    true,
  );
});
