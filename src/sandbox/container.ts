/**
 * One live sandbox container and its channel: starts `podman|docker run -i`, sends the embedded
 * runtime over stdin, waits for `ready`, then runs cells (`exec`), resets and releases. Host-method
 * calls are answered in host-calls.ts; the engine client process is injected (`SpawnProcess`,
 * engine-process.ts) so the channel logic can be tested without an engine.
 */
import { BridgeError } from "../errors.ts";
import type { ContainerProcess, SpawnProcess } from "./engine-process.ts";
import { FrameDecoder, encodeFrame, type Frame } from "./framing.ts";
import { HostCalls } from "./host-calls.ts";
import { MAX_HEADER_FROM_SANDBOX, doneBodyLimit, parseDone, sandboxBodyLimit, type DoneMessage } from "./messages.ts";
import { dataHeader, startFrames, type DataCopy, type RuntimeInit, type WarmReport } from "./runtime.ts";

export type { DoneMessage } from "./messages.ts";
export { engineWorkDir, spawnProcess, type ContainerProcess, type SpawnProcess } from "./engine-process.ts";
export { RUNTIME_SOURCE, type DataCopy, type RuntimeInit, type WarmReport } from "./runtime.ts";

/** Callbacks for one cell. */
export interface ExecHandlers {
  onOutput(chunk: Uint8Array): void;
  /** An image frame: its bytes, or `dropped` (its size) when it was over the frame limit and skipped. */
  onImage(png: Uint8Array, dropped?: number): void;
  /** A host-method call from Python; resolve with a JSON-able result or throw. */
  onCall(method: string, params: unknown): Promise<unknown>;
  /** A chunk of a result file from /output (header: name, offset, last; hostile until checked), or `dropped` (its size) when it was over the frame limit and skipped. */
  onFile?(header: Record<string, unknown>, body: Uint8Array, dropped?: number): void;
}

const encoder = new TextEncoder();

type Cell = { id: number; handlers: ExecHandlers; done: PromiseWithResolvers<DoneMessage>; maxText: number };

export class SandboxContainer {
  private readyWait = Promise.withResolvers<void>();
  private current?: Cell;
  /** Bodies over these limits are skipped, never buffered (see messages.ts). */
  private decoder = new FrameDecoder(
    sandboxBodyLimit(() => this.current?.maxText ?? 0),
    MAX_HEADER_FROM_SANDBOX,
  );
  /** Host-call budgets; replies are written to the engine client's stdin. */
  private calls = new HostCalls((data) => this.proc.write(data));
  private nextId = 0;
  private ended = false;
  /** Resolves when the channel is closed (container gone or going). */
  readonly closed: Promise<void>;
  /** The engine client has exited (with `run --rm`: the container is gone). */
  exited = false;
  /** Cells run here so far. */
  uses = 0;
  /** The runtime's pid inside the container (1 unless the engine adds an init process). */
  runtimePid?: number;
  /** Warm imports as the supervisor reported them at start. */
  warm?: WarmReport;
  /** Whether the runtime installed its in-container syscall filter (python/isolation.py). */
  syscallFilter?: boolean;

  private constructor(
    readonly name: string,
    private readonly proc: ContainerProcess,
  ) {
    this.closed = this.pump();
  }

  /** Starts a container and waits until its runtime is ready. Throws SANDBOX_FAILED with the engine's error. */
  static async start(
    name: string,
    argv: string[],
    init: RuntimeInit,
    spawn: SpawnProcess,
    startTimeoutMs = 120_000,
    data?: DataCopy,
  ): Promise<SandboxContainer> {
    const c = new SandboxContainer(name, spawn(argv));
    const [len, src, initFrame] = startFrames(init, data);
    void c.proc
      .write(len)
      .then(() => c.proc.write(src))
      .then(() => c.proc.write(initFrame))
      .then(() => c.sendData(data))
      .catch(() => {});
    try {
      await within(
        c.readyWait.promise,
        startTimeoutMs,
        () =>
          new BridgeError(
            "SANDBOX_FAILED",
            `sandbox container ${name} did not start within ${startTimeoutMs / 1000} s`,
          ),
      );
    } catch (err) {
      c.proc.kill();
      throw err;
    }
    return c;
  }

  /** stderr of the engine client (for error messages). */
  stderr(): string {
    return this.proc.stderr();
  }

  /** True once the channel has closed. */
  get dead(): boolean {
    return this.ended;
  }

  /**
   * Runs one cell. `maxText` caps the final value and the traceback (bytes each; the kernel cuts
   * them, the host refuses more). Resolves with the runtime's `done`; rejects if the container
   * goes away first.
   */
  exec(code: string, contexts: unknown[], handlers: ExecHandlers, maxText: number): Promise<DoneMessage> {
    if (this.ended) return Promise.reject(new BridgeError("SANDBOX_FAILED", "the sandbox container is gone"));
    if (this.current) return Promise.reject(new BridgeError("INTERNAL", "sandbox container is already running a cell"));
    const id = ++this.nextId;
    const done = Promise.withResolvers<DoneMessage>();
    this.current = { id, handlers, done, maxText };
    this.proc
      .write(encodeFrame({ t: "exec", id, contexts, maxText }, encoder.encode(code)))
      .catch((err) => done.reject(err));
    this.uses++;
    return done.promise.finally(() => {
      this.current = undefined;
    });
  }

  /**
   * Returns the container to a just-started state for another call: the runtime kills every other
   * process, wipes /tmp, /workspace and /dev/shm, and forks a fresh interpreter. Throws on failure.
   */
  async reset(timeoutMs = 5000, data?: DataCopy): Promise<void> {
    if (this.ended || this.current) throw new BridgeError("INTERNAL", "sandbox container cannot be reset now");
    this.readyWait = Promise.withResolvers<void>();
    const ready = this.readyWait.promise;
    await this.proc.write(encodeFrame({ t: "reset", ...dataHeader(data) }));
    await this.sendData(data);
    await within(
      ready,
      timeoutMs,
      () => new BridgeError("SANDBOX_FAILED", "sandbox container did not come back from a reset"),
    );
  }

  /** The folders' files, one `put` frame each (remote engines). */
  private async sendData(data: DataCopy | undefined): Promise<void> {
    for (const f of data?.files ?? []) await this.proc.write(encodeFrame({ t: "put", path: f.path }, f.data));
  }

  /** Closes stdin: the runtime exits and the engine removes the container (--rm). */
  release(): void {
    this.proc.closeStdin();
  }

  /** Kills the local engine client process (the caller removes the container itself). */
  killClient(): void {
    this.proc.kill();
  }

  private async pump(): Promise<void> {
    try {
      for await (const chunk of this.proc.stdout) {
        for (const f of this.decoder.push(chunk)) this.dispatch(f);
      }
    } catch (err) {
      this.fail(
        err instanceof BridgeError
          ? err
          : new BridgeError("SANDBOX_FAILED", `sandbox channel failed: ${(err as Error).message}`),
      );
    }
    const code = await this.proc.exited.catch(() => -1);
    this.exited = true;
    this.fail(
      new BridgeError("SANDBOX_FAILED", `the sandbox container stopped (engine exit code ${code})${this.stderrTail()}`),
    );
  }

  private stderrTail(): string {
    const s = this.proc.stderr().trim();
    return s ? `: ${s.split("\n").slice(-3).join(" / ")}` : "";
  }

  private fail(err: BridgeError): void {
    if (this.ended) return;
    this.ended = true;
    this.readyWait.reject(err);
    this.current?.done.reject(err);
  }

  private dispatch(frame: Frame): void {
    const { header, body, dropped } = frame;
    if (header.t === "ready") {
      if (typeof header.pid === "number") this.runtimePid = header.pid;
      if (header.warm && typeof header.warm === "object") this.warm = header.warm as WarmReport;
      if (typeof header.filter === "boolean") this.syscallFilter = header.filter;
      return this.readyWait.resolve();
    }
    const cur = this.current;
    if (!cur || header.id !== cur.id) return; // stale frame of a finished cell
    switch (header.t) {
      case "out":
        return cur.handlers.onOutput(
          dropped === undefined
            ? body
            : encoder.encode(`\n[bridge: ${dropped} bytes of output dropped: an output frame over the limit]\n`),
        );
      case "image":
        return cur.handlers.onImage(body, dropped);
      case "file":
        return cur.handlers.onFile?.(header, body, dropped);
      case "done":
        return cur.done.resolve(parseDone(frame, doneBodyLimit(cur.maxText)));
      case "call":
        return void this.calls.answer(
          frame,
          (method, params) => cur.handlers.onCall(method, params),
          () => this.current === cur,
        );
    }
  }
}

/** `promise`, or the error of `timeout()` once `ms` milliseconds have passed first; the timer is always cleared. */
async function within<T>(promise: Promise<T>, ms: number, timeout: () => BridgeError): Promise<T> {
  let timer: Timer | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timeout()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
