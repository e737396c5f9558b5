/**
 * Runs the server over stdio until stdin closes, the transport closes or a signal arrives. The
 * SDK's stdio transport does not end the process on EOF and closes itself silently on a message
 * over 10 MiB, so serve uses its own (`stdio-transport.ts`: oversized and unparsable input get a
 * JSON-RPC error and serving goes on) and owns shutdown: run cleanups within a deadline, then exit.
 */
import type { Readable, Writable } from "node:stream";
import type { ConsolaInstance } from "consola";
import type { Config } from "../config/index.ts";
import { createServer } from "./server.ts";
import { BoundedStdioTransport } from "./stdio-transport.ts";

/** How long cleanups may take before the process exits anyway. */
const SHUTDOWN_BUDGET_MS = 700;

export interface ServeDeps {
  config: Config;
  log: ConsolaInstance;
  stdin?: Readable;
  stdout?: Writable;
  exit?: (code: number) => void;
}

/** Starts the stdio server; resolves once connected. The process exits on stdin EOF, SIGINT or SIGTERM. */
export async function serveStdio(deps: ServeDeps): Promise<void> {
  const { config, log } = deps;
  const stdin = deps.stdin ?? process.stdin;
  const exit = deps.exit ?? ((code: number) => process.exit(code));
  const cleanups: Array<() => Promise<void> | void> = [];
  const server = createServer({ config, log, onShutdown: (fn) => cleanups.push(fn) });
  const transport = new BoundedStdioTransport(stdin, deps.stdout ?? process.stdout);

  let closing = false;
  const shutdown = async (why: string, code = 0): Promise<void> => {
    if (closing) return;
    closing = true;
    log.debug(`serve: shutting down (${why})`);
    const work = Promise.allSettled(cleanups.reverse().map(async (fn) => fn())).then((results) => {
      for (const r of results) if (r.status === "rejected") log.warn(`serve: cleanup failed: ${String(r.reason)}`);
    });
    await Promise.race([work, Bun.sleep(SHUTDOWN_BUDGET_MS)]);
    await server.close().catch(() => {});
    exit(code);
  };

  stdin.on("end", () => void shutdown("stdin closed"));
  stdin.on("close", () => void shutdown("stdin closed"));
  process.on("SIGINT", () => void shutdown("SIGINT", 130));
  process.on("SIGTERM", () => void shutdown("SIGTERM", 143));
  process.on("SIGHUP", () => void shutdown("SIGHUP", 129));
  transport.onerror = (err) => log.warn(`serve: transport error: ${err.message}`);
  transport.onrejected = ({ code, bytes }) =>
    log.warn(
      `serve: answered a ${bytes}-byte input line with JSON-RPC error ${code} (${code === -32700 ? "not JSON" : "too large or not JSON-RPC"})`,
    );
  // Set before connect: the SDK chains its own handler after this one.
  transport.onclose = () => void shutdown("the client connection closed");

  await server.connect(transport);
  log.debug(`serve: ready (bridge on stdio, ${process.pid})`);
}
