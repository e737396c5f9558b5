/**
 * Process tracking: the pure parsers, and every mode this host offers against real processes —
 * a `setsid sleep 120 &` child is ended by timeout, by cancel and when the main process exits
 * (cgroup and proc), and escapes only the process-group mode, as documented.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runProcess } from "../../../src/host-scripts/run.ts";
import { cgroup2Mount, ownCgroupPath } from "../../../src/process/cgroup.ts";
import { jobMembers, parseStat } from "../../../src/process/scan.ts";
import { cgroupOwner, chooseTracking, type Tracking } from "../../../src/process/tracking.ts";

const dir = mkdtempSync(join(tmpdir(), "bridge-tracking-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};
async function gone(pid: number, ms = 3000): Promise<boolean> {
  for (const end = Date.now() + ms; alive(pid) && Date.now() < end; ) await Bun.sleep(25);
  return !alive(pid);
}
const pidOf = async (file: string): Promise<number> => {
  for (let i = 0; i < 200; i++) {
    try {
      const n = Number(readFileSync(file, "utf8").trim());
      if (n > 0) return n;
    } catch {
      /* not yet */
    }
    await Bun.sleep(25);
  }
  throw new Error(`no pid in ${file}`);
};

describe("parsers", () => {
  test("mountinfo: the cgroup2 mount on a hybrid host and on a pure v2 host", () => {
    const hybrid =
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
    expect(cgroup2Mount(hybrid)).toBe("/sys/fs/cgroup/unified");
    expect(cgroup2Mount("30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n")).toBe(
      "/sys/fs/cgroup",
    );
    expect(cgroup2Mount("1 2 0:1 / / rw - ext4 /dev/sda rw\n")).toBeUndefined();
    expect(
      ownCgroupPath("9:name=systemd:/\n0::/user.slice/user-1000.slice/user@1000.service/app.slice/x.service\n"),
    ).toBe("/user.slice/user-1000.slice/user@1000.service/app.slice/x.service");
    expect(ownCgroupPath("4:memory:/x\n")).toBeUndefined();
  });
  test("stat: command names with spaces and parentheses; zombies are skipped", () => {
    expect(parseStat("123 (a b) c) S 1 123 123 0 -1")).toEqual({ pid: 123, ppid: 1, pgid: 123, sid: 123 });
    expect(parseStat("124 (sh) Z 1 124 124 0")).toBeUndefined();
  });
  test("job members: group, session, descendants, tagged — the leader only while alive", () => {
    const procs = [
      { pid: 10, ppid: 1, pgid: 10, sid: 10 }, // leader
      { pid: 11, ppid: 10, pgid: 11, sid: 10 }, // own group, same session
      { pid: 12, ppid: 1, pgid: 12, sid: 12 }, // setsid'd, re-parented: only the tag finds it
      { pid: 13, ppid: 12, pgid: 12, sid: 12 }, // its child
      { pid: 14, ppid: 1, pgid: 14, sid: 14 }, // unrelated
    ];
    expect(jobMembers(procs, 10, new Set(), true, 999).sort()).toEqual([10, 11]);
    expect(jobMembers(procs, 10, new Set([12]), true, 999).sort()).toEqual([10, 11, 12, 13]);
    expect(jobMembers(procs.slice(1), 10, new Set([12]), false, 999).sort()).toEqual([11, 12, 13]);
  });
});

const modes: Array<[string, () => Tracking]> = [];
for (const mode of ["cgroup", "proc", "group"] as const) {
  try {
    const t = chooseTracking(mode);
    modes.push([mode, () => t]);
  } catch (err) {
    test.skip(`${mode}: not available here (${(err as Error).message})`, () => {});
  }
}

describe.each(modes)("%s mode", (mode, tracking) => {
  const escapes = mode === "group";
  const run = (name: string, body: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
    runProcess({
      path: "/bin/sh",
      args: ["-c", body],
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      timeoutMs: opts.timeoutMs ?? 20_000,
      maxOutput: 10_000,
      killGraceMs: 500,
      signal: opts.signal,
      watchPid: process.pid,
      processes: tracking().forJob(`t-${mode}-${name}`),
    });

  test("the job ends when its main process exits, though a setsid child holds its output", async () => {
    const file = join(dir, `${mode}-exit.pid`);
    const t0 = Date.now();
    const r = await run("exit", `setsid sleep 120 & echo $! > ${file}; sleep 1; echo started`);
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("started");
    const pid = await pidOf(file);
    if (escapes) {
      expect(r.outputClosed).toBe(true);
      expect(alive(pid)).toBe(true);
      process.kill(pid, "SIGKILL");
    } else {
      expect(await gone(pid)).toBe(true);
      expect(r.leftovers).toBeGreaterThanOrEqual(1);
    }
  }, 20_000);

  test("timeout ends everything the job started, setsid children included", async () => {
    const file = join(dir, `${mode}-timeout.pid`);
    const r = await run("timeout", `setsid sleep 120 & echo $! > ${file}; sleep 60`, { timeoutMs: 700 });
    expect(r.timedOut).toBe(true);
    const pid = await pidOf(file);
    if (escapes) {
      expect(alive(pid)).toBe(true);
      process.kill(pid, "SIGKILL");
    } else expect(await gone(pid)).toBe(true);
  }, 20_000);

  test("cancel ends everything the job started, setsid children included", async () => {
    const file = join(dir, `${mode}-cancel.pid`);
    const ac = new AbortController();
    const pending = run("cancel", `setsid sleep 120 & echo $! > ${file}; sleep 60`, { signal: ac.signal });
    const pid = await pidOf(file);
    await Bun.sleep(300); // let `setsid` leave the group before the cancel
    ac.abort();
    const r = await pending;
    expect(r.aborted).toBe(true);
    if (escapes) {
      expect(alive(pid)).toBe(true);
      process.kill(pid, "SIGKILL");
    } else expect(await gone(pid)).toBe(true);
  }, 20_000);
});

describe("sweeping job cgroups left by stopped workers", () => {
  test("only empty job cgroups whose worker is gone are removed: another live worker's fresh cgroup stays", async () => {
    const { sweepCgroups } = await import("../../../src/process/cgroup.ts");
    const { mkdirSync, readdirSync } = await import("node:fs");
    const parent = mkdtempSync(join(tmpdir(), "bridge-sweep-"));
    try {
      const exited = Bun.spawnSync(["true"]).pid; // a pid that no longer runs
      const names = [
        `bridge-job-w${process.pid}-job-1-aaaaaa`, // a live worker's cgroup, its job not started yet
        `bridge-job-w${exited}-job-2-bbbbbb`, // left by a stopped worker
        `bridge-job-probe-${exited}-cccccc`, // a stopped worker's probe
        "bridge-job-job-3-dddddd", // no owner in the name (older bridge): left alone
        "something-else",
      ];
      for (const n of names) mkdirSync(join(parent, n));
      expect(sweepCgroups(parent, "bridge-job-", cgroupOwner)).toBe(2);
      expect(readdirSync(parent).sort()).toEqual(
        [`bridge-job-w${process.pid}-job-1-aaaaaa`, "bridge-job-job-3-dddddd", "something-else"].sort(),
      );
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
