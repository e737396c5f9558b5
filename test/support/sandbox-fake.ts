/**
 * A fake container process for unit tests of the sandbox service: speaks the channel protocol like
 * the Python runtime does (ready, then one `done` per `exec`), scripted per test.
 */
import type { ContainerProcess, SpawnProcess } from "../../src/sandbox/container.ts";
import { encodeFrame, FrameDecoder } from "../../src/sandbox/framing.ts";

export interface FakeBehaviour {
  /** stderr and exit code instead of starting (engine failure). */
  failStart?: (argv: string[]) => { stderr: string; code: number } | undefined;
  /** What `ready` says of the runtime's syscall filter (default: installed). */
  filter?: boolean;
  /** Delay before `ready` after start (container start-up time). */
  startDelayMs?: number;
  /** The runtime does not exit when its stdin closes (a stuck container). */
  ignoreStdinClose?: boolean;
  /** Milliseconds before answering an exec (a call that takes time). */
  execDelayMs?: (code: string) => number;
  /** Reply to an exec: frames to send back, or "hang" to never answer. */
  onExec?: (code: string) => Array<{ header: Record<string, unknown>; body?: string | Uint8Array }> | "hang";
}

/** A `done` reply in the runtime's format: value and error as UTF-8 in the body, their lengths in the header. */
export function doneFrame(fields: { status: string; value?: string; error?: string; [k: string]: unknown }): {
  header: Record<string, unknown>;
  body: string;
} {
  const { value, error, ...rest } = fields;
  const header: Record<string, unknown> = { t: "done", ...rest };
  if (value !== undefined) header.valueBytes = Buffer.byteLength(value);
  if (error !== undefined) header.errorBytes = Buffer.byteLength(error);
  return { header, body: (value ?? "") + (error ?? "") };
}

export function fakeSpawn(behaviour: FakeBehaviour): {
  spawn: SpawnProcess;
  argvs: string[][];
  alive: () => number;
  resets: () => number;
  /** What `ENGINE kill NAME...` does: the named containers die (their client exits with 137). */
  kill: (names: string[]) => void;
  /** Headers of the init, reset and put frames containers received. */
  received: Array<Record<string, unknown>>;
} {
  const argvs: string[][] = [];
  const byName = new Map<string, (code: number) => void>();
  let alive = 0;
  let resets = 0;
  /** Headers of every init, reset and put frame the containers received. */
  const received: Array<Record<string, unknown>> = [];
  const spawn: SpawnProcess = (argv) => {
    argvs.push(argv);
    const out = new TransformStream<Uint8Array, Uint8Array>();
    const writer = out.writable.getWriter();
    const exited = Promise.withResolvers<number>();
    let err = "";
    let closed = false;
    alive++;
    const end = (code: number) => {
      if (closed) return;
      closed = true;
      alive--;
      void writer.close().catch(() => {});
      exited.resolve(code);
    };
    byName.set(argv[argv.indexOf("--name") + 1]!, (code) => end(code));
    const failure = behaviour.failStart?.(argv);
    if (failure) {
      err = failure.stderr;
      queueMicrotask(() => end(failure.code));
    }
    const decoder = new FrameDecoder();
    let gotRuntime = false;
    let pending = new Uint8Array(0);
    const proc: ContainerProcess = {
      async write(data) {
        if (closed || failure) return;
        if (!gotRuntime) {
          // 4-byte length + runtime source, then the init frame.
          const all = new Uint8Array([...pending, ...data]);
          if (all.length < 4) {
            pending = all;
            return;
          }
          const n = new DataView(all.buffer).getUint32(0);
          if (all.length < 4 + n) {
            pending = all;
            return;
          }
          gotRuntime = true;
          data = all.subarray(4 + n);
        }
        for (const f of decoder.push(data)) {
          if (["init", "reset", "put"].includes(f.header.t as string)) received.push(f.header);
          if (f.header.t === "init" || f.header.t === "reset") {
            resets += f.header.t === "reset" ? 1 : 0;
            if (f.header.t === "init" && behaviour.startDelayMs) await Bun.sleep(behaviour.startDelayMs);
            await writer.write(
              encodeFrame({
                t: "ready",
                pid: 1,
                ...(f.header.t === "init" ? { filter: behaviour.filter ?? true } : {}),
              }),
            );
          }
          if (f.header.t === "exec") {
            const code = new TextDecoder().decode(f.body);
            const delay = behaviour.execDelayMs?.(code) ?? 0;
            if (delay) await Bun.sleep(delay);
            const reply = behaviour.onExec?.(code) ?? [{ header: { t: "done", status: "ok" } }];
            if (reply === "hang") continue;
            for (const r of reply)
              await writer.write(
                encodeFrame(
                  { id: f.header.id, ...r.header } as never,
                  typeof r.body === "string" || r.body === undefined ? new TextEncoder().encode(r.body ?? "") : r.body,
                ),
              );
          }
        }
      },
      closeStdin: () => {
        if (!behaviour.ignoreStdinClose) end(0);
      },
      stdout: out.readable,
      stderr: () => err,
      exited: exited.promise,
      kill: () => end(137),
    };
    return proc;
  };
  const kill = (names: string[]) => {
    for (const n of names) byName.get(n)?.(137);
  };
  return { spawn, argvs, alive: () => alive, resets: () => resets, kill, received };
}
