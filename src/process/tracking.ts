/**
 * How the worker keeps track of everything a job starts, so a timeout, a cancel or the end of the
 * job's main process can stop all of it — also processes that left the job's process group or
 * session. Chosen once per worker (`BRIDGE_PROCESS_TRACKING`, default auto, first that works):
 *
 * | mode      | where                                             | what escapes                        |
 * |-----------|---------------------------------------------------|-------------------------------------|
 * | `cgroup`  | Linux, a writable cgroup v2 subtree (root; a      | nothing                             |
 * |           | systemd user service with Delegate=yes)           |                                     |
 * | `systemd` | Linux with a systemd user manager: one transient  | nothing                             |
 * |           | scope per job (`systemd-run --user --scope`)      |                                     |
 * | `proc`    | other Linux: process group + session + /proc scan | a process that left the session and |
 * |           | for descendants and the job's environment tag     | cleared its environment             |
 * | `group`   | macOS and other systems: the process group only    | anything that left the group        |
 *
 * Each job gets a `JobProcesses`: its wrapper argv (src/process/wrapper.ts) and `signal(sig)`,
 * which reaches every process the mode can see.
 */
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import type { Config } from "../config/index.ts";
import { BridgeError } from "../errors.ts";
import { cgroupPids, createCgroup, ownCgroupDir, removeCgroup, signalCgroup, sweepCgroups } from "./cgroup.ts";
import { JOB_TAG_VAR, signalJobProcs, withoutWatchdog } from "./scan.ts";
import { wrapperArgv } from "./wrapper.ts";

export type TrackingSetting = Config["processTracking"];
export type TrackingMode = Exclude<TrackingSetting, "auto">;

/** The mode in use and, for people, what it covers here. */
export interface Tracking {
  mode: TrackingMode;
  /** e.g. "cgroup v2 under /sys/fs/cgroup/unified (hybrid host)". */
  detail: string;
  /** Why better modes were not used (empty when the best one was). */
  skipped: string[];
  /** Per-job tracking for a job (the tag names the job's cgroup/scope/environment tag). */
  forJob(jobId: string): JobProcesses;
}

/** One job's processes. */
export interface JobProcesses {
  /** argv that runs `cmd` inside the tracking (and under the worker watchdog when watchPid is set). */
  argv(cmd: string[], watchPid?: number): string[];
  /** Extra environment every process of the job inherits. */
  env: Record<string, string>;
  /**
   * Signals everything of the job this mode can see. `leader` is the spawned pid (the job's
   * process group and session); `leaderAlive` false once it has exited (its pid may be reused).
   */
  signal(leader: number | undefined, sig: NodeJS.Signals, leaderAlive?: boolean): void;
  /**
   * Kills what is left and releases the cgroup/scope; resolves (bounded) with how many processes
   * were still running besides the watchdog, or undefined where the mode cannot count them.
   */
  release(leader: number | undefined): Promise<number | undefined>;
}

const CGROUP_PREFIX = "bridge-job-";
/** Job cgroups are named `bridge-job-w<worker pid>-<job id>-<rand>` (probes: `bridge-job-probe-<pid>-…`), so a sweep can tell whose they are. */
export const cgroupOwner = (name: string): number | undefined => {
  const m = /^bridge-job-(?:w|probe-)(\d+)-/.exec(name);
  return m ? Number(m[1]) : undefined;
};

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    /* the group is gone */
  }
}

/** Probe: can we create a child cgroup of our own and move a process into it? */
function probeCgroup(): { dir?: string; why?: string } {
  if (process.platform !== "linux") return { why: "not Linux" };
  const parent = ownCgroupDir();
  if (!parent) return { why: "no cgroup v2 hierarchy visible to this process" };
  let dir: string;
  try {
    dir = createCgroup(parent, `${CGROUP_PREFIX}probe-${process.pid}-${randomBytes(3).toString("hex")}`);
  } catch (err) {
    return {
      why: `own cgroup ${parent} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); not delegated to this user`,
    };
  }
  try {
    const r = spawnSync("/bin/sh", ["-c", 'echo $$ > "$1/cgroup.procs"', "probe", dir], {
      stdio: "ignore",
      timeout: 5000,
    });
    if (r.status !== 0) return { why: `cannot move processes into child cgroups of ${parent}` };
    return { dir: parent };
  } finally {
    void removeCgroup(dir, 500);
  }
}

function probeSystemd(): { ok: boolean; why?: string } {
  if (process.platform !== "linux") return { ok: false, why: "not Linux" };
  const r = spawnSync("systemd-run", ["--user", "--scope", "--quiet", "--collect", "true"], {
    stdio: ["ignore", "ignore", "pipe"],
    timeout: 5000,
  });
  if (r.error) return { ok: false, why: `systemd-run: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}` };
  if (r.status !== 0)
    return {
      ok: false,
      why: `no systemd user manager (systemd-run --user --scope: ${r.stderr.toString().trim().split("\n")[0] || `exit ${r.status}`})`,
    };
  return { ok: true };
}

function cgroupTracking(parent: string, skipped: string[]): Tracking {
  const swept = sweepCgroups(parent, CGROUP_PREFIX, cgroupOwner);
  return {
    mode: "cgroup",
    skipped,
    detail: `a cgroup v2 per job under ${parent}${parent.includes("/unified") ? " (hybrid v1/v2 host)" : ""}${swept ? `; removed ${swept} left by a stopped worker` : ""}`,
    forJob(jobId) {
      const name = `${CGROUP_PREFIX}w${process.pid}-${jobId}-${randomBytes(3).toString("hex")}`;
      const dir = createCgroup(parent, name);
      return {
        env: {},
        argv: (cmd, watchPid) => wrapperArgv(cmd, { cgroup: dir, watchPid }),
        signal(leader, sig) {
          killGroup(leader, sig);
          signalCgroup(dir, sig);
        },
        async release(leader) {
          const left = withoutWatchdog(cgroupPids(dir)).length;
          killGroup(leader, "SIGKILL");
          signalCgroup(dir, "SIGKILL");
          // The kill is synchronous; the cgroup empties a moment later. Removing it must not delay the job's end.
          void removeCgroup(dir, 5000);
          return left;
        },
      };
    },
  };
}

function systemdTracking(skipped: string[]): Tracking {
  const ctl = (unit: string, sig: NodeJS.Signals) =>
    spawnSync("systemctl", ["--user", "kill", `--signal=${sig}`, unit], { stdio: "ignore", timeout: 5000 });
  return {
    mode: "systemd",
    skipped,
    detail: "a transient systemd user scope per job (systemd-run --user --scope)",
    forJob(jobId) {
      const unit = `bridge-job-${jobId}-${randomBytes(3).toString("hex")}.scope`;
      return {
        env: {},
        argv: (cmd, watchPid) => [
          "systemd-run",
          "--user",
          "--scope",
          "--quiet",
          "--collect",
          `--unit=${unit}`,
          "--",
          ...wrapperArgv(cmd, { unit, watchPid }),
        ],
        signal(leader, sig) {
          killGroup(leader, sig);
          ctl(unit, sig);
        },
        async release(leader) {
          killGroup(leader, "SIGKILL");
          ctl(unit, "SIGKILL");
          return undefined;
        },
      };
    },
  };
}

function procTracking(mode: "proc" | "group", skipped: string[]): Tracking {
  return {
    mode,
    skipped,
    detail:
      mode === "proc"
        ? "process group + session + a /proc scan for descendants and the job's environment tag"
        : "the job's process group only",
    forJob(jobId) {
      const tag = `${jobId}.${randomBytes(4).toString("hex")}`;
      return {
        env: (mode === "proc" ? { [JOB_TAG_VAR]: tag } : {}) as Record<string, string>,
        argv: (cmd, watchPid) => wrapperArgv(cmd, { tag: mode === "proc" ? tag : undefined, watchPid }),
        signal(leader, sig, leaderAlive = true) {
          killGroup(leader, sig);
          if (mode === "proc" && leader !== undefined) signalJobProcs(leader, tag, sig, leaderAlive);
        },
        async release(leader) {
          if (mode === "group") {
            killGroup(leader, "SIGKILL");
            return undefined;
          }
          return leader === undefined ? 0 : signalJobProcs(leader, tag, "SIGKILL", false);
        },
      };
    },
  };
}

/**
 * Picks the tracking mode: with "auto" the first of cgroup → systemd → proc → group that works
 * here; a named mode that cannot work here is an error (the user asked for a guarantee).
 */
export function chooseTracking(setting: TrackingSetting = "auto"): Tracking {
  const skipped: string[] = [];
  const refuse = (why: string) =>
    new BridgeError("CONFIG_INVALID", `BRIDGE_PROCESS_TRACKING=${setting} cannot be used here: ${why}.`, {
      hint: "Set BRIDGE_PROCESS_TRACKING=auto (or remove it) to use the best mode this host offers; `bridge doctor` shows which.",
    });
  if (setting === "auto" || setting === "cgroup") {
    const cg = probeCgroup();
    if (cg.dir) return cgroupTracking(cg.dir, skipped);
    if (setting === "cgroup") throw refuse(cg.why!);
    skipped.push(`cgroup: ${cg.why}`);
  }
  if (setting === "auto" || setting === "systemd") {
    const sd = probeSystemd();
    if (sd.ok) return systemdTracking(skipped);
    if (setting === "systemd") throw refuse(sd.why!);
    skipped.push(`systemd: ${sd.why}`);
  }
  if (setting === "auto" || setting === "proc") {
    if (process.platform === "linux") return procTracking("proc", skipped);
    if (setting === "proc") throw refuse("it needs Linux /proc");
    skipped.push("proc: needs Linux /proc");
  }
  return procTracking("group", skipped);
}

/** One line for logs and `doctor`: the mode, what it covers, and why better ones were not used. */
export function describeTracking(t: Tracking): string {
  return `${t.mode}: ${t.detail}${t.skipped.length ? ` (not used: ${t.skipped.join("; ")})` : ""}`;
}

let current: Tracking | undefined;

/** The worker's tracking, chosen on first use (the worker calls this at start with its setting, and logs it). */
export function workerTracking(setting?: TrackingSetting): Tracking {
  current ??= chooseTracking(setting);
  return current;
}
