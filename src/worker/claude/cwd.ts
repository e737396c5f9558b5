/**
 * Resolves a job's working directory and checks that it lies inside one of the worker's allow-roots.
 * Both sides are resolved with realpath first, so a symlink inside a root that points out of it is
 * refused, and `..` segments cannot climb out. Refusals never reveal whether a path outside the
 * roots exists or where a link leads.
 */
import { realpathSync, statSync } from "node:fs";
import { isAbsolute, resolve, sep } from "node:path";
import { BridgeError } from "../../errors.ts";

/** The filesystem calls this module needs (injectable for tests). */
export interface CwdFs {
  realpath(path: string): string;
  isDirectory(path: string): boolean;
}

export const nodeCwdFs: CwdFs = {
  realpath: (p) => realpathSync(p),
  isDirectory: (p) => statSync(p).isDirectory(),
};

/** True when `child` equals `root` or lies below it (both already resolved, absolute). */
export function isInside(child: string, root: string): boolean {
  if (child === root) return true;
  const prefix = root.endsWith(sep) ? root : root + sep;
  return child.startsWith(prefix);
}

/**
 * The resolved directory a job runs in. With no `cwd`, the first allow-root. Throws CLAUDE_FAILED
 * when the path is relative, missing, not a directory, or resolves outside every allow-root.
 */
export function resolveJobCwd(cwd: string | undefined, allowRoots: readonly string[], fs: CwdFs = nodeCwdFs): string {
  const roots: string[] = [];
  for (const root of allowRoots) {
    try {
      roots.push(fs.realpath(root));
    } catch {
      // A root that does not exist cannot contain anything; skip it.
    }
  }
  if (roots.length === 0) {
    throw new BridgeError(
      "CLAUDE_FAILED",
      "The worker has no existing --allow-root directory, so no Claude job may run.",
      {
        hint: "Restart the worker with --allow-root <dir> pointing at the projects Claude may work in.",
      },
    );
  }
  const wanted = cwd ?? roots[0]!;
  if (typeof wanted !== "string" || wanted.length === 0 || wanted.includes("\0") || !isAbsolute(wanted)) {
    throw new BridgeError(
      "CLAUDE_FAILED",
      `cwd must be an absolute path (got ${JSON.stringify(String(wanted).slice(0, 200))}).`,
      {
        hint: `Pass a directory inside one of the worker's allow-roots: ${roots.join(", ")}.`,
      },
    );
  }
  // One answer for "outside the roots" whether or not the path exists, and never where a link
  // leads: refusals must not let the caller probe the host's file system (an existence oracle).
  let resolved: string | undefined;
  try {
    resolved = fs.realpath(wanted);
  } catch {
    resolved = undefined;
  }
  if (resolved === undefined && roots.some((root) => isInside(resolve(wanted), root))) {
    throw new BridgeError("CLAUDE_FAILED", `cwd ${wanted} does not exist on the worker's machine.`, {
      hint: `Pass a directory inside one of: ${roots.join(", ")}.`,
    });
  }
  if (resolved === undefined || !roots.some((root) => isInside(resolved, root))) {
    throw new BridgeError(
      "CLAUDE_FAILED",
      `cwd ${wanted} is not a directory inside the worker's allowed roots (it is outside them, or missing).`,
      {
        hint: `Use a directory inside: ${roots.join(", ")}; or restart the worker with another --allow-root.`,
      },
    );
  }
  if (!fs.isDirectory(resolved)) {
    throw new BridgeError("CLAUDE_FAILED", `cwd ${wanted} is not a directory.`, {
      hint: "Pass a directory, not a file.",
    });
  }
  return resolved;
}

/**
 * The directory a claude job will run in, for the worker's one-job-per-directory lock: the same
 * default (first allow-root) and the same symlink resolution as resolveJobCwd, but never throws
 * (a job that will be refused still gets a key).
 */
export function cwdLockKey(cwd: unknown, allowRoots: readonly string[], fs: CwdFs = nodeCwdFs): string {
  const wanted = typeof cwd === "string" && cwd ? cwd : (allowRoots[0] ?? "/");
  try {
    return fs.realpath(wanted);
  } catch {
    return resolve(wanted);
  }
}
