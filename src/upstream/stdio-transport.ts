/**
 * The stdio transport for upstream servers on POSIX: the server starts as the leader of its own
 * process group (and session), so ending the group ends everything it started — `sh -c` wrappers,
 * `npx` and the node it runs, a `docker run -i` client. `close` ends stdin, then signals the whole
 * group (SIGTERM, then SIGKILL); a server whose leader exits on its own has its group killed too.
 * Every live group is also SIGKILLed synchronously when bridge's process exits, so a server still
 * starting when `serve` exits (its shutdown budget is under a second) is never left behind.
 * A process that leaves the group itself (`setsid`, a daemonising fork) is out of reach, as in any client.
 * stdout is split into lines by line-reader.ts, which never keeps more than `maxBufferSize` of a line:
 * a longer one closes the transport (onerror, then close) and the rest is counted, not kept.
 * Windows has no process groups: there the SDK's own transport is used (src/upstream/transports.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { PassThrough } from "node:stream";
import { getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import { deserializeMessage, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { LineReader } from "./line-reader.ts";

/** Process group ids of stdio servers this process started and has not seen end. */
const liveGroups = new Set<number>();
let exitHook = false;

/** Sends `signal` to a whole process group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Process groups still alive (for tests and the exit hook). */
export function liveProcessGroups(): number[] {
  return [...liveGroups];
}

function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
  if (exitHook) return;
  exitHook = true;
  // 'exit' handlers must be synchronous: process.kill is.
  process.on("exit", () => {
    for (const g of liveGroups) signalGroup(g, "SIGKILL");
  });
}

export interface GroupTransportOptions {
  command: string;
  args?: string[];
  /** Added to the SDK's default environment (HOME, PATH, …), as the SDK's own transport does. */
  env?: Record<string, string>;
  cwd?: string;
  /** Largest single message (line) accepted from the server, in bytes; a longer one is never kept whole. */
  maxBufferSize: number;
  /** After stdin ends: how long before SIGTERM, then how long before SIGKILL (ms). */
  stdinGraceMs?: number;
  termGraceMs?: number;
}

export class ProcessGroupTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** The server's stderr (always piped, so it can go to a bounded log). */
  readonly stderr = new PassThrough();
  private proc?: ChildProcess;
  private readonly lines: LineReader;
  private closing = false;
  private notifiedClose = false;
  private exited?: Promise<void>;

  constructor(private readonly opts: GroupTransportOptions) {
    this.lines = new LineReader(opts.maxBufferSize);
  }

  /** The server's pid (= its process group id) once spawned. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** The child process (exit code and signal for error messages). */
  get process(): ChildProcess | undefined {
    return this.proc;
  }

  start(): Promise<void> {
    if (this.proc) throw new Error("ProcessGroupTransport already started");
    return new Promise((resolve, reject) => {
      const proc = spawn(this.opts.command, this.opts.args ?? [], {
        env: { ...getDefaultEnvironment(), ...this.opts.env },
        cwd: this.opts.cwd,
        stdio: ["pipe", "pipe", "pipe"],
        detached: true,
      });
      this.proc = proc;
      this.exited = new Promise((done) => proc.once("close", () => done()));
      proc.once("error", (err) => {
        reject(err);
        this.onerror?.(err);
      });
      proc.once("spawn", () => {
        if (proc.pid) trackGroup(proc.pid);
        resolve();
        // close() may have been called while spawning: end the group now.
        if (this.closing) void this.endGroup(proc);
      });
      proc.once("close", () => {
        // The leader is gone; anything it left in its group goes with it.
        if (proc.pid) {
          signalGroup(proc.pid, "SIGKILL");
          liveGroups.delete(proc.pid);
        }
        this.notifyClose();
      });
      proc.stdin?.on("error", (err) => this.onerror?.(err));
      proc.stdout?.on("error", (err) => this.onerror?.(err));
      proc.stdout?.on("data", (chunk: Buffer) => {
        if (this.closing) return;
        try {
          this.lines.push(chunk, (line) => this.onmessage?.(deserializeMessage(line)));
        } catch (err) {
          this.onerror?.(err as Error);
          void this.close();
        }
      });
      proc.stderr?.pipe(this.stderr);
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      const stdin = this.proc?.stdin;
      if (!stdin || this.closing) return reject(new Error("Not connected"));
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once("drain", resolve);
    });
  }

  /** Ends the server and its whole process group; resolves once the leader has exited (or was SIGKILLed). */
  async close(): Promise<void> {
    if (this.closing) return this.exited;
    this.closing = true;
    const proc = this.proc;
    if (proc?.pid) await this.endGroup(proc);
    this.lines.clear();
    this.notifyClose();
  }

  private async endGroup(proc: ChildProcess): Promise<void> {
    const pgid = proc.pid!;
    const exited = this.exited!;
    const wait = (ms: number) => Promise.race([exited.then(() => true), Bun.sleep(ms).then(() => false)]);
    try {
      proc.stdin?.end();
    } catch {
      /* already closed */
    }
    if (proc.exitCode === null && proc.signalCode === null && !(await wait(this.opts.stdinGraceMs ?? 150))) {
      signalGroup(pgid, "SIGTERM");
      if (!(await wait(this.opts.termGraceMs ?? 250))) signalGroup(pgid, "SIGKILL");
    }
    // Grandchildren outlive a leader that exited on stdin EOF: end them too.
    signalGroup(pgid, "SIGKILL");
    liveGroups.delete(pgid);
  }

  private notifyClose(): void {
    if (this.notifiedClose) return;
    this.notifiedClose = true;
    this.onclose?.();
  }
}
