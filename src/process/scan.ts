/**
 * The fallback where no cgroup can be used (Linux without a writable cgroup v2 subtree or a
 * systemd user manager): find a job's processes by scanning /proc at the moment they must be
 * stopped. A process belongs to the job when any of these holds:
 *  - it is in the job's process group or session (what `kill -PGID` alone would reach);
 *  - it descends from the job's main process (parent chain, while the chain is intact);
 *  - its environment carries the job's tag (`BRIDGE_JOB_TAG=<tag>`), which every child inherits,
 *    so a `setsid cmd &` re-parented to init is still found.
 * What escapes: a process that left the session and cleared or rewrote its environment
 * (`env -i`, a daemon that sanitises it) after its parent exited. Only processes of this user
 * are read (/proc/<pid>/environ is private to its owner).
 */
import { readFileSync, readdirSync } from "node:fs";

/** The variable that tags every process of a job. */
export const JOB_TAG_VAR = "BRIDGE_JOB_TAG";

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
}

/** Parses /proc/<pid>/stat; the command name may contain spaces and parentheses, so fields start after the last ")". */
export function parseStat(text: string): ProcInfo | undefined {
  const close = text.lastIndexOf(")");
  const pid = Number.parseInt(text, 10);
  if (close < 0 || !(pid > 0)) return undefined;
  const f = text.slice(close + 2).split(" ");
  // f[0] state, f[1] ppid, f[2] pgrp, f[3] session
  const [ppid, pgid, sid] = [Number(f[1]), Number(f[2]), Number(f[3])];
  if (f[0] === "Z" || ![ppid, pgid, sid].every(Number.isFinite)) return undefined;
  return { pid, ppid, pgid, sid };
}

/**
 * The members of a job among `procs`: same group/session as `leader` (its pid is the job's pgid and
 * sid), their descendants, and `tagged` pids. The leader itself only while `leaderAlive` (once it
 * exited, its pid may be reused; a pgid/sid in use is never reused). Pure.
 */
export function jobMembers(
  procs: ProcInfo[],
  leader: number,
  tagged: ReadonlySet<number>,
  leaderAlive = true,
  self = process.pid,
): number[] {
  const members = new Set<number>();
  for (const p of procs) if (p.pgid === leader || p.sid === leader || tagged.has(p.pid)) members.add(p.pid);
  if (leaderAlive) members.add(leader);
  // Children of members are members (repeat until nothing changes: the list is not in tree order).
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs)
      if (!members.has(p.pid) && members.has(p.ppid)) {
        members.add(p.pid);
        grew = true;
      }
  }
  members.delete(self);
  return [...members].filter((pid) => procs.some((p) => p.pid === pid));
}

/** Every live process on this host (Linux /proc). */
export function listProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  let names: string[] = [];
  try {
    names = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const info = parseStat(readFileSync(`/proc/${n}/stat`, "utf8"));
      if (info) out.push(info);
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Pids whose environment holds `BRIDGE_JOB_TAG=<tag>` (only this user's are readable). */
export function taggedPids(procs: ProcInfo[], tag: string): Set<number> {
  const needle = Buffer.from(`\0${JOB_TAG_VAR}=${tag}\0`);
  const first = Buffer.from(`${JOB_TAG_VAR}=${tag}\0`);
  const out = new Set<number>();
  for (const p of procs) {
    try {
      const env = readFileSync(`/proc/${p.pid}/environ`);
      if (env.indexOf(needle) >= 0 || env.subarray(0, first.length).equals(first)) out.add(p.pid);
    } catch {
      /* not ours, or gone */
    }
  }
  return out;
}

/** Signals every process of the job found by a /proc scan; returns how many (watchdog aside) there were. */
export function signalJobProcs(leader: number, tag: string, signal: NodeJS.Signals, leaderAlive = true): number {
  const procs = listProcs();
  const members = jobMembers(procs, leader, taggedPids(procs, tag), leaderAlive);
  const counted = withoutWatchdog(members).length;
  for (const pid of members)
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  return counted;
}

/**
 * $0 of the wrapper (src/process/wrapper.ts). Its watchdog is a forked subshell and keeps that
 * command line, while the job's own process exec'd away from it: so it is not counted as a leftover.
 */
export const WATCHDOG_NAME = "bridge-job";

/** `pids` less the worker's own watchdog processes (the watchdog shell and its `sleep`). */
export function withoutWatchdog(pids: number[]): number[] {
  const watchdogs = new Set<number>();
  const parent = new Map<number, number>();
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "latin1").includes(`\0${WATCHDOG_NAME}\0`)) watchdogs.add(pid);
      const info = parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
      if (info) parent.set(pid, info.ppid);
    } catch {
      /* gone */
    }
  }
  return pids.filter((p) => parent.has(p) && !watchdogs.has(p) && !watchdogs.has(parent.get(p)!));
}
