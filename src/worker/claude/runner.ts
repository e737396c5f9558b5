/**
 * Runs one `claude -p` process: prompt written to stdin (then closed), stream-json parsed as it
 * arrives, its own process group so a timeout or cancel stops Claude's tool subprocesses too
 * (SIGTERM to the group, SIGKILL after a grace period). Returns the facts; classification is
 * outcome.ts's job.
 */
import { spawn as nodeSpawn, type ChildProcess } from "node:child_process";
import type { ProgressEvent } from "../../queue/types.ts";
import type { RunFacts } from "./outcome.ts";
import { StreamParser, type StreamResult } from "./stream.ts";
import { chooseTracking, type JobProcesses } from "../../process/tracking.ts";

/** Bytes of stderr kept for error messages. */
const STDERR_TAIL_CHARS = 8_192;
/** After the CLI exits (and what it left running is stopped), how long to wait for its output pipes to drain. */
const DRAIN_MS = 1_000;
/** After the CLI printed its result, how long it may take to exit before its group is stopped. */
const RESULT_EXIT_GRACE_MS = 10_000;

export interface RunClaudeInput {
  bin: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  prompt: string;
  timeoutMs: number;
  /** Time between SIGTERM and SIGKILL to the process group. */
  killGraceMs?: number;
  /** Time the CLI gets to exit after printing its result (something it started may keep it alive). */
  resultExitGraceMs?: number;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  /** Called once when the CLI prints its `result` line (it may take a while longer to exit). */
  onResult?: (result: StreamResult) => void;
  /** Where the CLI's processes are tracked (src/process/tracking.ts); default: its process group only. */
  processes?: JobProcesses;
}

/** Process-level calls (injectable for tests). */
export interface RunnerDeps {
  spawn(
    bin: string,
    args: string[],
    opts: { cwd: string; env: Record<string, string>; processes: JobProcesses },
  ): ChildProcess;
}

/** Finds `bin` on the child's PATH; throws an ENOENT error (as spawn would) when it is not there. */
function resolveBin(bin: string, env: Record<string, string>, cwd: string): string {
  const found = Bun.which(bin, { PATH: env.PATH ?? "", cwd });
  if (!found) throw Object.assign(new Error(`spawn ${bin} ENOENT (not found on PATH)`), { code: "ENOENT" });
  return found;
}

/**
 * Starts the CLI through the job wrapper (src/process/wrapper.ts): inside the job's cgroup or
 * scope where there is one, with a watchdog that stops everything of the job if the worker dies
 * (even by SIGKILL), so an `interrupted` job does not keep editing files unseen. The CLI keeps the
 * wrapper's pid (group and session leader) and its stdin; argv passes through "$@" untouched.
 */
export const nodeRunnerDeps: RunnerDeps = {
  spawn(bin, args, { cwd, env, processes }) {
    const path = resolveBin(bin, env, cwd);
    if (process.platform === "win32") return nodeSpawn(path, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    const [file, ...argv] = processes.argv([path, ...args], process.pid);
    return nodeSpawn(file!, argv, {
      cwd,
      env: { ...env, ...processes.env },
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
  },
};

/** Runs the CLI to completion (or until timeout / abort) and reports what happened. */
export function runClaude(input: RunClaudeInput, deps: RunnerDeps = nodeRunnerDeps): Promise<RunFacts> {
  const started = performance.now();
  const parser = new StreamParser(input.onProgress);
  let stderrTail = "";
  let timedOut = false;
  let cancelled = false;
  let exited = false;
  let stoppedAfterResult = false;

  const facts = (extra: Partial<RunFacts>): RunFacts => ({
    exitCode: null,
    signal: null,
    timedOut,
    cancelled,
    stoppedAfterResult,
    abortReason: cancelled ? input.signal?.reason : undefined,
    timeoutMs: input.timeoutMs,
    stream: parser.end(),
    stderrTail,
    wallMs: performance.now() - started,
    bin: input.bin,
    ...extra,
  });

  if (input.signal?.aborted) {
    cancelled = true;
    return Promise.resolve(facts({}));
  }

  const procs = input.processes ?? chooseTracking("group").forJob("claude");
  return new Promise<RunFacts>((resolve) => {
    let child: ChildProcess;
    try {
      child = deps.spawn(input.bin, input.args, { cwd: input.cwd, env: input.env, processes: procs });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      void procs.release(undefined);
      resolve(facts({ spawnError: { code: e.code, message: e.message } }));
      return;
    }
    let settled = false;
    const timers: Array<ReturnType<typeof setTimeout>> = [];
    const finish = (result: RunFacts): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      input.signal?.removeEventListener("abort", onAbort);
      resolve(result);
    };
    const stop = (): void => {
      if (child.pid === undefined || exited) return;
      procs.signal(child.pid, "SIGTERM");
      timers.push(setTimeout(() => procs.signal(child.pid, "SIGKILL", !exited), input.killGraceMs ?? 5_000));
    };
    const onAbort = (): void => {
      if (exited || timedOut || cancelled) return;
      cancelled = true;
      stop();
    };

    child.on("error", (err: NodeJS.ErrnoException) => {
      // Emitted when the binary cannot be started (ENOENT, EACCES); 'exit' never follows then.
      if (child.pid === undefined) {
        void procs.release(undefined);
        finish(facts({ spawnError: { code: err.code, message: err.message } }));
      }
    });
    child.stdin?.on("error", () => {
      // EPIPE when the CLI exits before reading the prompt; the exit status tells the story.
    });
    child.stdout?.setEncoding("utf8");
    let resultSeen = false;
    child.stdout?.on("data", (chunk: string) => {
      parser.push(chunk);
      if (resultSeen || !parser.state.result) return;
      resultSeen = true;
      input.onResult?.(parser.state.result);
      timers.push(
        setTimeout(() => {
          if (exited || timedOut || cancelled) return;
          stoppedAfterResult = true;
          stop();
        }, input.resultExitGraceMs ?? RESULT_EXIT_GRACE_MS),
      );
    });
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    const stdoutEnded = new Promise<void>((done) => {
      if (!child.stdout) return done();
      child.stdout.on("end", done);
      child.stdout.on("close", done);
    });

    child.on("exit", (code, signal) => {
      exited = true;
      // Stop what Claude's tools left running (background shells and the like), wherever they went.
      void procs.release(child.pid).then((leftovers) => {
        // Something out of reach may still hold stdout: wait for EOF, but not forever.
        const done = () => finish(facts({ exitCode: code, signal, ...(leftovers ? { leftovers } : {}) }));
        const drained = setTimeout(() => {
          child.stdout?.destroy();
          done();
        }, DRAIN_MS);
        void stdoutEnded.then(() => {
          clearTimeout(drained);
          done();
        });
      });
    });

    timers.push(
      setTimeout(() => {
        if (exited || cancelled || stoppedAfterResult) return;
        timedOut = true;
        stop();
      }, input.timeoutMs),
    );
    input.signal?.addEventListener("abort", onAbort, { once: true });

    child.stdin?.end(input.prompt);
  });
}
