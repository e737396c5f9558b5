/**
 * Runs one executable without a shell: argv verbatim, minimal environment, capped output, its own
 * process group and session, tracked by the worker's process-tracking mode (src/process/), and a
 * wall-clock timeout that sends SIGTERM then SIGKILL to everything the job started.
 */
import { spawn } from "node:child_process";
import { chooseTracking, type JobProcesses } from "../process/tracking.ts";

const OUTPUT_GRACE_MS = 500;

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
   * When set, a watchdog started with the job stops everything of it once this pid (the worker)
   * is gone — even after kill -9 — so an `interrupted` job does not keep running unseen.
   */
  watchPid?: number;
  /** Where the job's processes are tracked (src/process/tracking.ts); default: its process group only. */
  processes?: JobProcesses;
  /** After the script exits, how long its output may stay open (held by a process bridge could not stop) before it is closed. */
  outputGraceMs?: number;
}

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
  /** Processes the script left running when it exited (stopped then), if the tracking mode can count them. */
  leftovers?: number;
  /** True when its output was still held open after the grace and was closed by bridge. */
  outputClosed?: boolean;
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
  const procs = spec.processes ?? chooseTracking("group").forJob("script");
  return new Promise((resolvePromise, reject) => {
    const [file, ...argv] = procs.argv([spec.path, ...spec.args], spec.watchPid);
    const child = spawn(file!, argv, {
      cwd: spec.cwd,
      env: { ...spec.env, ...procs.env },
      shell: false,
      detached: true,
      stdio: [spec.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const out = new CappedBuffer(spec.maxOutput);
    const err = new CappedBuffer(spec.maxOutput);
    let timedOut = false;
    let aborted = false;
    let exited = false;
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const stop = () => {
      if (exited) return;
      procs.signal(child.pid, "SIGTERM");
      killTimer ??= setTimeout(() => procs.signal(child.pid, "SIGKILL", !exited), spec.killGraceMs ?? 2000);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, spec.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    if (spec.signal?.aborted) onAbort();
    else spec.signal?.addEventListener("abort", onAbort, { once: true });

    child.stdout!.on("data", (c: Buffer) => out.push(c));
    child.stderr!.on("data", (c: Buffer) => err.push(c));
    if (child.stdin) {
      child.stdin.on("error", () => {
        /* the script closed stdin early: fine */
      });
      child.stdin.end(spec.stdin);
    }
    let settled = false;
    const cleanup = () => {
      settled = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      spec.signal?.removeEventListener("abort", onAbort);
    };
    child.on("error", (e) => {
      if (settled) return;
      cleanup();
      void procs.release(undefined);
      reject(e);
    });
    const closed = new Promise<void>((res) => child.on("close", () => res()));
    // The job ends when the script exits: what it left running is stopped (it must not outlive
    // the job nor hold its output open), and output still open after a short grace is closed.
    child.on("exit", (code, sig) => {
      exited = true;
      void (async () => {
        const leftovers = await procs.release(child.pid);
        let outputClosed = false;
        const grace = new Promise<boolean>((res) => setTimeout(() => res(true), spec.outputGraceMs ?? OUTPUT_GRACE_MS));
        if (await Promise.race([closed.then(() => false), grace])) {
          outputClosed = true;
          child.stdout?.destroy();
          child.stderr?.destroy();
        }
        if (settled) return;
        cleanup();
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
          ...(leftovers ? { leftovers } : {}),
          ...(outputClosed ? { outputClosed } : {}),
        });
      })();
    });
  });
}
