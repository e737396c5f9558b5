/**
 * Runs one `claude -p` process: prompt written to stdin (then closed), stream-json parsed as it
 * arrives, its own process group so a timeout or cancel stops Claude's tool subprocesses too
 * (SIGTERM to the group, SIGKILL after a grace period). Returns the facts; classification is
 * outcome.ts's job.
 */
import { spawn as nodeSpawn, type ChildProcess } from "node:child_process";
import type { ProgressEvent } from "../../queue/types.ts";
import type { RunFacts } from "./outcome.ts";
import { StreamParser } from "./stream.ts";

/** Bytes of stderr kept for error messages. */
const STDERR_TAIL_CHARS = 8_192;
/** After the CLI exits, how long to wait for its output pipes to drain. */
const DRAIN_MS = 2_000;
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
}

/** Process-level calls (injectable for tests). */
export interface RunnerDeps {
  spawn(bin: string, args: string[], opts: { cwd: string; env: Record<string, string> }): ChildProcess;
  /** Signals every process in the group led by `pid`; must not throw when the group is gone. */
  killGroup(pid: number, signal: NodeJS.Signals): void;
}

/**
 * Wraps the CLI in `sh -c` so the process group carries a watchdog: if the worker dies (even by
 * SIGKILL) the watchdog notices within a second and stops the group, so an `interrupted` job does
 * not keep editing files unseen. `exec` keeps the CLI as the group leader with the same pid and
 * stdin; argv passes through "$@" untouched (no shell parsing of job values). The watchdog ignores
 * SIGTERM so it can follow up with SIGKILL; the runner's own group SIGKILL removes it at the end.
 */
export const WATCHDOG_SCRIPT =
  'w=$1; shift; ( trap "" TERM; while kill -0 "$w" 2>/dev/null; do sleep 1; done; kill -TERM -$$ 2>/dev/null; sleep 5; kill -KILL -$$ 2>/dev/null ) </dev/null >/dev/null 2>&1 & exec "$@"';

/** Finds `bin` on the child's PATH; throws an ENOENT error (as spawn would) when it is not there. */
function resolveBin(bin: string, env: Record<string, string>, cwd: string): string {
  const found = Bun.which(bin, { PATH: env.PATH ?? "", cwd });
  if (!found) throw Object.assign(new Error(`spawn ${bin} ENOENT (not found on PATH)`), { code: "ENOENT" });
  return found;
}

export const nodeRunnerDeps: RunnerDeps = {
  spawn(bin, args, { cwd, env }) {
    const path = resolveBin(bin, env, cwd);
    if (process.platform === "win32") return nodeSpawn(path, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    return nodeSpawn("/bin/sh", ["-c", WATCHDOG_SCRIPT, "bridge-claude", String(process.pid), path, ...args], {
      cwd, env, detached: true, stdio: ["pipe", "pipe", "pipe"],
    });
  },
  killGroup(pid, signal) {
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
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

  return new Promise<RunFacts>((resolve) => {
    let child: ChildProcess;
    try {
      child = deps.spawn(input.bin, input.args, { cwd: input.cwd, env: input.env });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
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
      if (child.pid === undefined) return;
      deps.killGroup(child.pid, "SIGTERM");
      timers.push(setTimeout(() => child.pid !== undefined && deps.killGroup(child.pid, "SIGKILL"), input.killGraceMs ?? 5_000));
    };
    const onAbort = (): void => {
      if (exited || timedOut || cancelled) return;
      cancelled = true;
      stop();
    };

    child.on("error", (err: NodeJS.ErrnoException) => {
      // Emitted when the binary cannot be started (ENOENT, EACCES); 'exit' never follows then.
      if (child.pid === undefined) finish(facts({ spawnError: { code: err.code, message: err.message } }));
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
      timers.push(setTimeout(() => {
        if (exited || timedOut || cancelled) return;
        stoppedAfterResult = true;
        stop();
      }, input.resultExitGraceMs ?? RESULT_EXIT_GRACE_MS));
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
      // Reap what Claude's tools left running in the group (background shells and the like).
      if (child.pid !== undefined) deps.killGroup(child.pid, "SIGKILL");
      // A grandchild that escaped the group may still hold stdout: wait for EOF, but not forever.
      const drained = setTimeout(() => finish(facts({ exitCode: code, signal })), DRAIN_MS);
      void stdoutEnded.then(() => {
        clearTimeout(drained);
        finish(facts({ exitCode: code, signal }));
      });
    });

    timers.push(setTimeout(() => {
      if (exited || cancelled || stoppedAfterResult) return;
      timedOut = true;
      stop();
    }, input.timeoutMs));
    input.signal?.addEventListener("abort", onAbort, { once: true });

    child.stdin?.end(input.prompt);
  });
}
