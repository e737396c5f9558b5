/**
 * One live sandbox container and its channel: starts `podman|docker run -i`, sends the embedded
 * runtime over stdin, waits for `ready`, then runs cells (`exec`) and relays host-method calls.
 * The process is injected (`SpawnProcess`) so the channel logic can be tested without an engine.
 */
import { lstatSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import commonPy from "./python/common.py" with { type: "text" };
import isolationPy from "./python/isolation.py" with { type: "text" };
import supervisorPy from "./python/supervisor.py" with { type: "text" };
import kernelPy from "./python/kernel.py" with { type: "text" };
import dataPy from "./python/data.py" with { type: "text" };
import { BridgeError } from "../errors.ts";
import { encodeFrame, FrameDecoder, type Frame } from "./framing.ts";
import {
  CALL_BYTES_IN_FLIGHT,
  CALL_VALUES_IN_FLIGHT,
  MAX_CALL_BYTES,
  MAX_CALL_DEPTH,
  MAX_HEADER_FROM_SANDBOX,
  REPLY_BYTES_QUEUED,
  doneBodyLimit,
  jsonShape,
  parseCall,
  parseDone,
  sandboxBodyLimit,
  type DoneMessage,
} from "./messages.ts";

export type { DoneMessage } from "./messages.ts";

/** A spawned engine client process with piped stdio. */
export interface ContainerProcess {
  write(data: Uint8Array): Promise<void>;
  closeStdin(): void;
  stdout: AsyncIterable<Uint8Array>;
  /** stderr text so far (engine errors such as a failed start). */
  stderr(): string;
  exited: Promise<number>;
  kill(): void;
}
export type SpawnProcess = (argv: string[]) => ContainerProcess;

let engineDir: string | undefined;

/**
 * The working directory of `podman|docker run`: never the user's cwd (for serve, a project
 * directory), because podman's conmon drops an `oom` file in its working directory when a container
 * is OOM-killed. One private directory per user (0700, checked to be ours and not a link), so
 * crashed processes leave nothing to pile up; a fresh temporary one if that cannot be had.
 */
export function engineWorkDir(): string {
  if (engineDir) return engineDir;
  const uid = process.getuid?.() ?? 0;
  const shared = join(tmpdir(), `bridge-engine-${uid}`);
  try {
    mkdirSync(shared, { mode: 0o700 });
  } catch {}
  try {
    const st = lstatSync(shared);
    if (st.isDirectory() && !st.isSymbolicLink() && st.uid === uid && (st.mode & 0o077) === 0)
      return (engineDir = shared);
  } catch {}
  const own = mkdtempSync(join(tmpdir(), "bridge-engine-"));
  process.once("exit", () => rmSync(own, { recursive: true, force: true }));
  return (engineDir = own);
}

/** Real process via Bun.spawn. */
export const spawnProcess: SpawnProcess = (argv) => {
  const proc = Bun.spawn(argv, { cwd: engineWorkDir(), stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  let err = "";
  void (async () => {
    const dec = new TextDecoder();
    for await (const c of proc.stderr as ReadableStream<Uint8Array>)
      if (err.length < 65536) err += dec.decode(c, { stream: true });
  })().catch(() => {});
  let writing = Promise.resolve();
  return {
    write: (data) =>
      (writing = writing.then(async () => {
        proc.stdin.write(data);
        await proc.stdin.flush();
      })),
    closeStdin: () => {
      try {
        void proc.stdin.end();
      } catch {}
    },
    stdout: proc.stdout as ReadableStream<Uint8Array>,
    stderr: () => err,
    exited: proc.exited,
    kill: () => proc.kill("SIGKILL"),
  };
};

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

/** What the runtime needs at start: extension modules and preludes; warm imports and allowed folders. */
export interface RuntimeInit {
  modules: Record<string, string>;
  preludes: string[];
  /** Modules the supervisor imports before forking kernels; `optional` ones the image lacks are skipped. */
  warm?: { modules: string[]; optional: string[] };
  /** Allowed folders (for clear errors in the sandbox): name, host path, mount point, read-write or not. */
  folders?: Array<{ name: string; host: string; mount: string; writable: boolean }>;
  /** Folders are bind-mounted: the runtime's syscall filter also refuses AF_UNIX sockets (python/isolation.py). */
  denyUnixSockets?: boolean;
  /** A read-write folder is bind-mounted: the filter also refuses mknod and symlink (FIFOs and links planted for host programs). */
  denyPlanting?: boolean;
  /** Container path → why the guard refuses it (special files masked in bind-mounted folders). */
  refused?: Record<string, string>;
}

/** A remote engine's copy of the allowed folders, sent at start and with every reset. */
export interface DataCopy {
  files: Array<{ path: string; data: Uint8Array }>;
  refused: Record<string, string>;
}

/** What the supervisor reported about warm imports. */
export interface WarmReport {
  ok: string[];
  failed: Record<string, string>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** The in-container runtime, sent over stdin at start (see python/common.py). */
export const RUNTIME_SOURCE = [commonPy, isolationPy, supervisorPy, dataPy, kernelPy].join("\n\n");

type Cell = { id: number; handlers: ExecHandlers; done: PromiseWithResolvers<DoneMessage>; maxText: number };

export class SandboxContainer {
  private readyWait = Promise.withResolvers<void>();
  private current?: Cell;
  /** Bodies over these limits are skipped, never buffered (see messages.ts). */
  private decoder = new FrameDecoder(
    sandboxBodyLimit(() => this.current?.maxText ?? 0),
    MAX_HEADER_FROM_SANDBOX,
  );
  /** Parameter bytes of host calls being handled, and reply bytes not yet written to the container. */
  private callBytes = 0;
  /** JSON values in the parameters of host calls being handled (parsed, they weigh far more than their bytes). */
  private callValues = 0;
  private replyBytes = 0;
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
    const src = encoder.encode(RUNTIME_SOURCE);
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, src.length);
    const initFrame = encodeFrame({
      t: "init",
      ...init,
      ...(data ? { data: { files: data.files.length, refused: data.refused } } : {}),
    });
    void c.proc
      .write(len)
      .then(() => c.proc.write(src))
      .then(() => c.proc.write(initFrame))
      .then(() => c.sendData(data))
      .catch(() => {});
    let timer: Timer | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new BridgeError(
              "SANDBOX_FAILED",
              `sandbox container ${name} did not start within ${startTimeoutMs / 1000} s`,
            ),
          ),
        startTimeoutMs,
      );
    });
    try {
      await Promise.race([c.readyWait.promise, timeout]);
    } catch (err) {
      c.proc.kill();
      throw err;
    } finally {
      clearTimeout(timer);
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
    await this.proc.write(
      encodeFrame({ t: "reset", ...(data ? { data: { files: data.files.length, refused: data.refused } } : {}) }),
    );
    await this.sendData(data);
    let timer: Timer | undefined;
    try {
      await Promise.race([
        ready,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new BridgeError("SANDBOX_FAILED", "sandbox container did not come back from a reset")),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
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
        return void this.answer(cur, frame);
    }
  }

  /**
   * Runs a host call and writes the reply. Within budgets, so a cell cannot make serve buffer
   * without bound: parameters per call and in flight, result size, replies the container has not
   * read yet. Each refusal is an error reply the cell sees as BridgeCallError.
   */
  private async answer(cur: Cell, { header, body, dropped }: Frame): Promise<void> {
    const call = parseCall(header);
    if (!call) return; // no call id: nothing can be answered
    const { cid, method } = call;
    let reply: Uint8Array;
    const size = body.length;
    try {
      if (call.problem) throw new BridgeError("USAGE", call.problem);
      if (dropped !== undefined)
        throw new BridgeError(
          "USAGE",
          `host call ${method}: its parameters are ${dropped} bytes, more than the ${MAX_CALL_BYTES} bytes one call may send`,
          { hint: "Send less data per call." },
        );
      if (this.callBytes + size > CALL_BYTES_IN_FLIGHT) {
        throw new BridgeError(
          "USAGE",
          `host call ${method}: ${this.callBytes} bytes of parameters are already being handled; at most ${CALL_BYTES_IN_FLIGHT} may be in flight`,
          { hint: "Wait for earlier calls to finish." },
        );
      }
      const shape = size ? jsonShape(body, CALL_VALUES_IN_FLIGHT, MAX_CALL_DEPTH) : { values: 0, depth: 0 };
      if (shape.depth > MAX_CALL_DEPTH)
        throw new BridgeError(
          "USAGE",
          `host call ${method}: its parameters are nested more than ${MAX_CALL_DEPTH} levels deep`,
          { hint: "Send flatter data." },
        );
      if (this.callValues + shape.values > CALL_VALUES_IN_FLIGHT) {
        throw new BridgeError(
          "USAGE",
          `host call ${method}: its parameters hold ${shape.values > CALL_VALUES_IN_FLIGHT ? `more than ${CALL_VALUES_IN_FLIGHT}` : shape.values} JSON values and ${this.callValues} are already being handled; at most ${CALL_VALUES_IN_FLIGHT} may be in flight`,
          {
            hint: "Send fewer, larger values (e.g. one string instead of a list of many small items), or wait for earlier calls to finish.",
          },
        );
      }
      this.callBytes += size;
      this.callValues += shape.values;
      let result: unknown;
      try {
        const params = size ? JSON.parse(decoder.decode(body)) : null;
        result = await cur.handlers.onCall(method, params);
      } finally {
        this.callBytes -= size;
        this.callValues -= shape.values;
      }
      const json = encoder.encode(JSON.stringify(result ?? null));
      if (json.length > MAX_CALL_BYTES)
        throw new BridgeError(
          "USAGE",
          `host call ${method}: its result is ${json.length} bytes, more than the ${MAX_CALL_BYTES} bytes a call may return`,
        );
      if (this.replyBytes + json.length > REPLY_BYTES_QUEUED) {
        throw new BridgeError(
          "USAGE",
          `host call ${method}: the sandbox has not read ${this.replyBytes} bytes of earlier results; its result was not sent`,
          { hint: "Read the results of earlier calls first." },
        );
      }
      reply = encodeFrame({ t: "reply", cid, ok: true }, json);
    } catch (err) {
      const text =
        err instanceof BridgeError && err.hint
          ? `${err.message}\n  → ${err.hint}`
          : err instanceof Error
            ? err.message
            : String(err);
      // Headers stay small (the runtime rejects headers over 1 MiB): long messages are cut.
      reply = encodeFrame({
        t: "reply",
        cid,
        ok: false,
        error: text.length > 65536 ? `${text.slice(0, 65536)} [...]` : text,
      });
    }
    if (this.current !== cur) return;
    this.replyBytes += reply.length;
    try {
      await this.proc.write(reply);
    } catch {
      // the container is gone; the cell fails through the channel
    } finally {
      this.replyBytes -= reply.length;
    }
  }
}
