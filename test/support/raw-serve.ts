/**
 * `dist/bridge serve` driven with raw JSON-RPC lines (for input no SDK client would send: oversized
 * or unparsable lines), plus what /proc says about its memory. Every stdout line is kept.
 */
import { readFileSync } from "node:fs";
import { requireBinary } from "./bridge.ts";

export interface RawServe {
  proc: Bun.Subprocess<"pipe", "pipe", "pipe">;
  /** Every stdout line, parsed (a line that is not JSON is kept as `{ unparsable: line }`). */
  messages: any[];
  stderr: () => string;
  /** Writes bytes as they are (no newline added). */
  write: (data: string | Uint8Array) => Promise<void>;
  send: (msg: object) => Promise<void>;
  /** Sends a request and waits for the message answering its id. */
  request: (method: string, params?: object, opts?: { timeoutMs?: number; meta?: object }) => Promise<any>;
  /** Waits until a message matches. */
  waitFor: (match: (msg: any) => boolean, timeoutMs?: number) => Promise<any>;
  initialize: () => Promise<any>;
  /** Peak and current resident memory of serve in bytes (VmHWM, VmRSS). */
  memory: () => { peak: number; now: number };
}

export function rawServe(env: Record<string, string>): RawServe {
  const proc = Bun.spawn([requireBinary(), "serve"], { env, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const messages: any[] = [];
  const listeners = new Set<() => void>();
  let err = "";
  void (async () => {
    const dec = new TextDecoder();
    for await (const c of proc.stderr) err += dec.decode(c, { stream: true });
  })();
  void (async () => {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of proc.stdout) {
      buf += dec.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          messages.push(JSON.parse(line));
        } catch {
          messages.push({ unparsable: line });
        }
        for (const l of listeners) l();
      }
    }
  })();
  let nextId = 1;
  const write = async (data: string | Uint8Array) => {
    proc.stdin.write(data);
    await proc.stdin.flush();
  };
  const send = (msg: object) => write(`${JSON.stringify(msg)}\n`);
  const waitFor = (match: (msg: any) => boolean, timeoutMs = 60_000) =>
    new Promise<any>((resolve, reject) => {
      const check = () => {
        const m = messages.find(match);
        if (m === undefined) return false;
        listeners.delete(check);
        clearTimeout(timer);
        resolve(m);
        return true;
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(
          new Error(
            `no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages).slice(0, 2000)}; stderr: ${err.slice(-2000)}`,
          ),
        );
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  const request = async (method: string, params: object = {}, opts: { timeoutMs?: number; meta?: object } = {}) => {
    const id = nextId++;
    await send({ jsonrpc: "2.0", id, method, params: opts.meta ? { ...params, _meta: opts.meta } : params });
    return waitFor((m) => m.id === id && ("result" in m || "error" in m), opts.timeoutMs);
  };
  const initialize = async () => {
    const init = await request("initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "raw", version: "1" },
    });
    await send({ jsonrpc: "2.0", method: "notifications/initialized" });
    return init;
  };
  const memory = () => {
    const status = readFileSync(`/proc/${proc.pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
    return { peak: kb("VmHWM"), now: kb("VmRSS") };
  };
  return { proc, messages, stderr: () => err, write, send, request, waitFor, initialize, memory };
}
