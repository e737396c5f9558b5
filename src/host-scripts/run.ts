/**
 * Runs one executable without a shell: argv verbatim, minimal environment, capped output, its own
 * process group, and a wall-clock timeout that sends SIGTERM then SIGKILL to the whole group.
 */
import { spawn } from "node:child_process";

export interface RunSpec {
  path: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  stdin?: string;
  timeoutMs: number;
  /** Bytes kept per stream; the rest is counted and dropped. */
  maxOutput: number;
  signal?: AbortSignal;
  /** Time between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  /**
   * When set, a watchdog in the child's process group stops the group once this pid (the worker)
   * is gone — even after kill -9 — so an `interrupted` job does not keep running unseen.
   */
  watchPid?: number;
}

/**
 * `sh -c` wrapper carrying the watchdog (same approach as the claude runner): the script is
 * `exec`ed with "$@", so argv is passed through untouched and the script keeps the group-leader
 * pid and stdin. The watchdog ignores SIGTERM so it can follow up with SIGKILL; the runner's own
 * group SIGKILL removes it when the script ends.
 */
const WATCHDOG_SCRIPT =
  'w=$1; shift; ( trap "" TERM; while kill -0 "$w" 2>/dev/null; do sleep 1; done; kill -TERM -$$ 2>/dev/null; sleep 5; kill -KILL -$$ 2>/dev/null ) </dev/null >/dev/null 2>&1 & exec "$@"';

export interface RunOutcome {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  stdoutBytes: number;
  stderrBytes: number;
  truncated: boolean;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
}

class CappedBuffer {
  private chunks: Buffer[] = [];
  kept = 0;
  total = 0;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = this.max - this.kept;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(part);
    this.kept += part.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

/** Spawns and waits. Rejects only when the process cannot be started (ENOENT, EACCES, bad cwd). */
export function runProcess(spec: RunSpec): Promise<RunOutcome> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const [file, argv] = spec.watchPid === undefined || process.platform === "win32"
      ? [spec.path, spec.args]
      : ["/bin/sh", ["-c", WATCHDOG_SCRIPT, "bridge-script", String(spec.watchPid), spec.path, ...spec.args]];
    const child = spawn(file, argv, {
      cwd: spec.cwd,
      env: spec.env,
      shell: false,
      detached: true,
      stdio: [spec.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const out = new CappedBuffer(spec.maxOutput);
    const err = new CappedBuffer(spec.maxOutput);
    let timedOut = false;
    let aborted = false;
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        /* the group is already gone */
      }
    };
    const stop = () => {
      killGroup("SIGTERM");
      killTimer ??= setTimeout(() => killGroup("SIGKILL"), spec.killGraceMs ?? 2000);
    };
    const timer = setTimeout(() => { timedOut = true; stop(); }, spec.timeoutMs);
    const onAbort = () => { aborted = true; stop(); };
    if (spec.signal?.aborted) onAbort();
    else spec.signal?.addEventListener("abort", onAbort, { once: true });

    child.stdout!.on("data", (c: Buffer) => out.push(c));
    child.stderr!.on("data", (c: Buffer) => err.push(c));
    if (child.stdin) {
      child.stdin.on("error", () => { /* the script closed stdin early: fine */ });
      child.stdin.end(spec.stdin);
    }
    let settled = false;
    child.on("error", (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      spec.signal?.removeEventListener("abort", onAbort);
      reject(e);
    });
    // Background children left in the group must not outlive the job (nor hold its pipes open).
    child.on("exit", () => killGroup("SIGKILL"));
    child.on("close", (code, sig) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      spec.signal?.removeEventListener("abort", onAbort);
      resolvePromise({
        exitCode: code,
        signal: sig,
        stdout: out.text(),
        stderr: err.text(),
        stdoutBytes: out.total,
        stderrBytes: err.total,
        truncated: out.total > out.kept || err.total > err.kept,
        timedOut,
        aborted,
        durationMs: Math.round(performance.now() - started),
      });
    });
  });
}
