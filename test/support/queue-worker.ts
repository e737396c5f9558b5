/**
 * Queue test helpers: an initialised temporary BRIDGE_ROOT with scripts, `dist/bridge worker`
 * processes (started, killed, awaited), and a direct queue client for tests that write jobs
 * themselves. Everything started here is stopped by `cleanup()`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config/index.ts";
import { openQueue } from "../../src/queue/client.ts";
import type { QueueClient } from "../../src/queue/types.ts";
import { bridgeEnv, requireBinary, tempDir } from "./bridge.ts";

export interface QueueRoot {
  root: string;
  scripts: string;
  env: Record<string, string>;
  token: string;
  /** A queue client signing with the root's token (as serve would). */
  queue: () => QueueClient;
  addScript: (name: string, body: string, manifest?: unknown) => string;
  startWorker: (args?: string[]) => WorkerProc;
  cleanup: () => Promise<void>;
}

export interface WorkerProc {
  proc: ChildProcess;
  stderr: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  /** Resolves once its heartbeat file exists. */
  ready: () => Promise<void>;
}

/** `bridge worker --init` in a fresh temp root, plus helpers. */
export async function queueRoot(extraEnv: Record<string, string> = {}): Promise<QueueRoot> {
  const dir = tempDir("bridge-queue-");
  const root = join(dir.path, "root");
  const env = bridgeEnv(root, { MCP_BRIDGE_LOG_LEVEL: "info", ...extraEnv });
  const init = Bun.spawnSync([requireBinary(), "worker", "--init"], { env, stdout: "pipe", stderr: "pipe" });
  if (init.exitCode !== 0) {
    dir.cleanup();
    throw new Error(`worker --init failed: ${init.stderr.toString()}`);
  }
  const scripts = join(root, "scripts");
  const token = readFileSync(join(root, "token"), "utf8").trim();
  const workers: WorkerProc[] = [];
  let client: QueueClient | undefined;
  return {
    root,
    scripts,
    env,
    token,
    queue: () => (client ??= openQueue(loadConfig({ env: { BRIDGE_ROOT: root, BRIDGE_TOKEN: token } }))),
    addScript(name, body, manifest) {
      mkdirSync(scripts, { recursive: true, mode: 0o700 });
      const path = join(scripts, name);
      writeFileSync(path, body);
      chmodSync(path, 0o755);
      if (manifest !== undefined) writeFileSync(join(scripts, `${name}.json`), JSON.stringify(manifest));
      return path;
    },
    startWorker(args = []) {
      const proc = spawn(requireBinary(), ["worker", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      proc.stderr!.on("data", (c: Buffer) => {
        stderr += c.toString();
      });
      proc.stdout!.on("data", () => {});
      const exited = new Promise<number | string>((res) => proc.on("exit", (code, sig) => res(code ?? sig ?? -1)));
      const w: WorkerProc = {
        proc,
        stderr: () => stderr,
        exited,
        ready: async () => {
          const dir = join(root, "queue", "workers");
          for (let i = 0; i < 200; i++) {
            if (existsSync(dir) && readdirSync(dir).some((f) => f.startsWith(`w-${proc.pid}-`))) return;
            if (proc.exitCode !== null) throw new Error(`worker exited early (${proc.exitCode}): ${stderr}`);
            await Bun.sleep(25);
          }
          throw new Error(`worker did not start: ${stderr}`);
        },
      };
      workers.push(w);
      return w;
    },
    async cleanup() {
      for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill("SIGKILL");
      await Promise.all(workers.map((w) => w.exited));
      dir.cleanup();
    },
  };
}

/** Polls until `check` returns a value (not undefined) or the timeout passes. */
export async function until<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await check();
    if (v !== undefined) return v;
    await Bun.sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}
