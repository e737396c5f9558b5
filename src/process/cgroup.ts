/**
 * cgroup v2 as a job container: every process a job starts — including ones that leave its
 * process group or session (`setsid cmd &`) or are re-parented to init — stays in the job's
 * cgroup, so a timeout or cancel can end all of them (`cgroup.kill`, Linux ≥ 5.14; older kernels:
 * freeze, signal every pid in `cgroup.procs`, thaw).
 *
 * The job cgroups are children of the worker's own cgroup, which must be writable by the worker:
 * root, or a subtree systemd delegated to the user (a user service with `Delegate=yes`, as
 * `bridge worker --install-service` writes). Works on pure v2 (`/sys/fs/cgroup`) and on "hybrid"
 * hosts (v1 controllers plus a v2 mount at `/sys/fs/cgroup/unified`): only the v2 tree is used, and
 * no controller is enabled, so nothing is limited, only tracked. Facts: kernel
 * Documentation/admin-guide/cgroup-v2.rst ("Delegation Containment", "cgroup.kill").
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The v2 mount point from mountinfo text, or undefined. Field 5 is the mount point; the fs type follows " - ". */
export function cgroup2Mount(mountinfo: string): string | undefined {
  for (const line of mountinfo.split("\n")) {
    const [pre, post] = line.split(" - ");
    if (!pre || !post || !post.startsWith("cgroup2 ")) continue;
    const mountPoint = pre.split(" ")[4];
    if (mountPoint) return mountPoint.replace(/\\040/g, " ");
  }
  return undefined;
}

/** The process's v2 cgroup path ("0::/path" in /proc/self/cgroup), or undefined. */
export function ownCgroupPath(procCgroup: string): string | undefined {
  const line = procCgroup.split("\n").find((l) => l.startsWith("0::"));
  return line ? line.slice(3).trim() || "/" : undefined;
}

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

/** The directory of this process's own v2 cgroup, or undefined without cgroup v2. */
export function ownCgroupDir(): string | undefined {
  const mount = cgroup2Mount(read("/proc/self/mountinfo") ?? "");
  const path = ownCgroupPath(read("/proc/self/cgroup") ?? "");
  if (!mount || !path) return undefined;
  // A path of "/.." or similar means our cgroup is outside this mount's view (cgroup namespaces).
  if (path.includes("/..")) return undefined;
  const dir = join(mount, path);
  return existsSync(join(dir, "cgroup.procs")) ? dir : undefined;
}

/** The pids in a cgroup (empty when it is gone). */
export function cgroupPids(dir: string): number[] {
  return (read(join(dir, "cgroup.procs")) ?? "")
    .split("\n")
    .filter(Boolean)
    .map(Number)
    .filter((n) => n > 0);
}

/** Whether any process is left in the cgroup or below it. */
export function cgroupPopulated(dir: string): boolean {
  const events = read(join(dir, "cgroup.events"));
  if (events === undefined) return false;
  return /^populated 1$/m.test(events);
}

/** Creates a job cgroup under `parent`. Throws when the parent is not writable. */
export function createCgroup(parent: string, name: string): string {
  const dir = join(parent, name);
  mkdirSync(dir);
  return dir;
}

/** Sends `signal` to every process in the cgroup; SIGKILL uses cgroup.kill when the kernel has it. */
export function signalCgroup(dir: string, signal: NodeJS.Signals): void {
  if (signal === "SIGKILL" && existsSync(join(dir, "cgroup.kill"))) {
    try {
      writeFileSync(join(dir, "cgroup.kill"), "1");
      return;
    } catch {
      /* fall through to the pid walk */
    }
  }
  // Freeze first (when available) so nothing forks between reading the list and signalling it.
  const freeze = join(dir, "cgroup.freeze");
  const canFreeze = signal === "SIGKILL" && existsSync(freeze);
  if (canFreeze)
    try {
      writeFileSync(freeze, "1");
    } catch {
      /* best effort */
    }
  for (let round = 0; round < 5; round++) {
    const pids = cgroupPids(dir);
    if (!pids.length) break;
    for (const pid of pids)
      try {
        process.kill(pid, signal);
      } catch {
        /* already gone */
      }
    if (signal !== "SIGKILL") break;
  }
  if (canFreeze)
    try {
      writeFileSync(freeze, "0");
    } catch {
      /* best effort */
    }
}

/** Removes the cgroup once empty, waiting up to `waitMs`; false when processes are still in it. */
export async function removeCgroup(dir: string, waitMs = 1000): Promise<boolean> {
  const end = Date.now() + waitMs;
  while (true) {
    try {
      rmdirSync(dir);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return true;
      if (code !== "EBUSY" || Date.now() >= end) return false;
    }
    await Bun.sleep(20);
  }
}

/**
 * Removes empty job cgroups (`prefix*`) that a stopped worker left behind. Several workers may share
 * `parent`, and a live worker creates a job's cgroup a moment before the job's wrapper moves into
 * it: only names whose owner pid (`ownerOf`) is no longer running are removed, and populated ones
 * stay anyway (rmdir refuses them). Returns how many were removed.
 */
export function sweepCgroups(parent: string, prefix: string, ownerOf: (name: string) => number | undefined): number {
  let removed = 0;
  let names: string[] = [];
  try {
    names = readdirSync(parent);
  } catch {
    return 0;
  }
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const owner = ownerOf(n);
    if (owner === undefined || isRunning(owner)) continue;
    try {
      rmdirSync(join(parent, n));
      removed++;
    } catch {
      /* busy or gone */
    }
  }
  return removed;
}

/** Whether a process with this pid exists (EPERM: it exists, owned by someone else). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
