/**
 * The `sh -c` wrapper every job process starts through (scripts and the Claude CLI). It
 *  1. moves itself into the job's cgroup before anything else runs, so every descendant is born
 *     inside it (exit 125 with a message when it cannot);
 *  2. starts a watchdog that polls the worker's pid every second: if the worker dies (even by
 *     kill -9), it sends SIGTERM to everything of the job it can reach (process group, cgroup,
 *     systemd scope, processes carrying the job's environment tag), and SIGKILL 5 s later, so a
 *     job reported `interrupted` does not keep running unseen. It ignores SIGTERM itself;
 *  3. `exec`s the command with "$@": argv reaches it byte for byte (no shell parsing of job
 *     values) and it keeps the wrapper's pid, which leads the job's process group and session.
 */

export const WRAPPER_SCRIPT = [
  "cg=$1; unit=$2; tag=$3; w=$4; shift 4",
  '[ -z "$cg" ] || echo $$ > "$cg/cgroup.procs" || { echo "bridge: cannot enter the job cgroup $cg" >&2; exit 125; }',
  '[ -z "$w" ] || ( trap "" TERM; g=$$',
  '  while kill -0 "$w" 2>/dev/null; do sleep 1; done',
  "  s() { kill -$1 -$g 2>/dev/null",
  '    [ -z "$cg" ] || kill -$1 $(cat "$cg/cgroup.procs") 2>/dev/null',
  '    [ -z "$unit" ] || systemctl --user kill --signal=$1 "$unit" 2>/dev/null',
  '    [ -z "$tag" ] || for f in $(grep -lzx "BRIDGE_JOB_TAG=$tag" /proc/[0-9]*/environ 2>/dev/null); do f=${f#/proc/}; kill -$1 ${f%/environ} 2>/dev/null; done; }',
  '  s TERM; sleep 5; [ -z "$cg" ] || echo 1 > "$cg/cgroup.kill"; s KILL',
  ") </dev/null >/dev/null 2>&1 &",
  'exec "$@"',
].join("\n");

/** Exit status of the wrapper when it could not enter the job's cgroup. */
export const WRAPPER_CGROUP_EXIT = 125;

export interface WrapOptions {
  cgroup?: string;
  unit?: string;
  tag?: string;
  /** The worker's pid, watched by the watchdog; without it there is no watchdog. */
  watchPid?: number;
}

/** argv that runs `cmd` through the wrapper (unchanged on Windows, which has no sh, or when there is nothing to do). */
export function wrapperArgv(cmd: string[], o: WrapOptions): string[] {
  // Nothing to enter and nothing to watch: start the command itself (spawn errors stay spawn errors).
  if (process.platform === "win32" || (!o.cgroup && !o.unit && !o.tag && o.watchPid === undefined)) return cmd;
  return [
    "/bin/sh",
    "-c",
    WRAPPER_SCRIPT,
    "bridge-job",
    o.cgroup ?? "",
    o.unit ?? "",
    o.tag ?? "",
    o.watchPid === undefined ? "" : String(o.watchPid),
    ...cmd,
  ];
}
