/**
 * The life of one upstream server's SDK Client (connection.ts owns one): started on first use and
 * reused; concurrent first uses share one start, which is abandoned (its process group ended) when
 * every caller waiting for it was cancelled, or when bridge shuts down. Stdio servers run in their
 * own process group (stdio-transport.ts) with stderr in a bounded log file (stderr-log.ts). A
 * server that goes away on its own leaves `crash` (the message calls in flight report: its exit
 * code and last stderr lines, or an oversized message) and is started again on the next use. The
 * client declares roots (and sampling/elicitation when the outer client has them, client-requests.ts);
 * a fresh one waits briefly for a server that asks for roots right after initialize.
 */
import type { ChildProcess } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { BridgeError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { type CallTracker, installClientHandlers } from "./client-requests.ts";
import { type ConnectionFacts, exitMessage, startError } from "./connection-errors.ts";
import type { ConnectionDeps } from "./connection-deps.ts";
import { upstreamCapabilities } from "./origin.ts";
import type { BoundedLog } from "./stderr-log.ts";
import { type ToolDoc, toToolDoc } from "./tool-docs.ts";
import { childOf, defaultTransport, stderrOf } from "./transports.ts";
import type { ServerEntry } from "./types.ts";

/**
 * Servers that use roots ask for them right after initialize and apply them asynchronously
 * (server-filesystem); a call sent at once would find no allowed directory. When bridge declared
 * roots, a fresh connection waits up to this long for a roots/list, and a moment after answering it.
 */
const ROOTS_SETTLE_MS = 250;
const AFTER_ROOTS_MS = 50;

/** A started client and what became of it. */
export interface Live {
  client: Client;
  transport: Transport;
  process?: ChildProcess;
  /** Set when the server went away without us closing it: the message calls in flight report. */
  crash?: string;
  /** Set when the server sent a message over the size limit (the SDK then closes the transport). */
  oversized?: boolean;
  closing: boolean;
}

interface Start {
  promise: Promise<Live>;
  abort: AbortController;
  /** Callers with a signal still waiting; `pinned`: one without a signal waits (never abandoned). */
  waiters: number;
  pinned: boolean;
}

/** What the lifecycle needs from the connection that owns it. */
export interface LifecycleHost {
  readonly entry: ServerEntry;
  readonly deps: ConnectionDeps;
  /** Log with the entry's secrets masked. */
  readonly log: ConnectionDeps["log"];
  readonly stderrLog: BoundedLog;
  readonly calls: CallTracker;
  /** What error messages need to know about the connection. */
  about(): ConnectionFacts;
  /** The fresh tool list after a tools/list_changed notification. */
  toolsChanged(tools: ToolDoc[]): void;
  /** The server went away without being closed: its tool list is no longer known. */
  gone(): void;
}

export class ClientLifecycle {
  private current?: Live;
  private starting?: Start;
  private closed = false;

  constructor(private readonly host: LifecycleHost) {}

  /** The started client, also after it crashed (then `crash` is set) until the next start. */
  get live(): Live | undefined {
    return this.current;
  }

  /** True while a client is connected or starting. */
  get active(): boolean {
    return Boolean((this.current && !this.current.crash) || this.starting);
  }

  /**
   * Starts the server if it is not running; concurrent callers share one start. A caller with a
   * signal stops waiting when it aborts; when every waiting caller has aborted (and none waits
   * without a signal), the start itself is abandoned and its process group ended.
   */
  async connect(signal?: AbortSignal): Promise<Live> {
    if (this.closed)
      throw new BridgeError("UPSTREAM_FAILED", `server ${this.host.entry.name}: bridge is shutting down`);
    if (this.current && !this.current.crash) return this.current;
    if (!this.starting) {
      const abort = new AbortController();
      const start: Start = { promise: this.start(abort.signal), abort, waiters: 0, pinned: false };
      start.promise
        .then(
          () => {},
          () => {},
        )
        .finally(() => {
          if (this.starting === start) this.starting = undefined;
        });
      this.starting = start;
    }
    const start = this.starting;
    if (!signal) {
      start.pinned = true;
      return start.promise;
    }
    start.waiters++;
    try {
      return await Promise.race([start.promise, abortPromise(signal, `starting server ${this.host.entry.name}`)]);
    } finally {
      start.waiters--;
      if (signal.aborted && start.waiters === 0 && !start.pinned) start.abort.abort();
    }
  }

  /** Closes the client and ends the server's process group, also while it is still starting. */
  async close(): Promise<void> {
    this.closed = true;
    this.starting?.abort.abort();
    const live = this.current ?? (await this.starting?.promise.catch(() => undefined));
    this.current = undefined;
    if (!live) return;
    live.closing = true;
    await live.client
      .close()
      .catch((err) => this.host.log.debug(`upstream ${this.host.entry.name}: close: ${String(err)}`));
  }

  private newClient(onRootsAnswered: () => void): Client {
    const { entry, deps } = this.host;
    const capabilities = upstreamCapabilities(deps.outer?.capabilities());
    const client = new Client(
      { name: "bridge", version: VERSION },
      {
        capabilities,
        listChanged: {
          tools: {
            onChanged: (err, tools) => {
              if (err)
                return this.host.log.warn(
                  `upstream ${entry.name}: refreshing tools after list_changed failed: ${err.message}`,
                );
              this.host.toolsChanged((tools ?? []).map(toToolDoc));
            },
          },
        },
      },
    );
    installClientHandlers(client, capabilities, {
      server: entry.name,
      tracker: this.host.calls,
      outer: deps.outer,
      timeoutMs: deps.timeoutMs,
      onRootsAnswered,
    });
    return client;
  }

  private async start(abort: AbortSignal): Promise<Live> {
    const { entry, deps } = this.host;
    const transport = deps.createTransport
      ? deps.createTransport(entry)
      : defaultTransport(entry, this.host.about().maxMessageBytes);
    let rootsAnswered!: () => void;
    const rootsSettled = new Promise<void>((resolve) => (rootsAnswered = resolve)).then(() =>
      Bun.sleep(AFTER_ROOTS_MS),
    );
    const client = this.newClient(rootsAnswered);
    const live: Live = { client, transport, closing: false };
    stderrOf(transport)?.on("data", (c: Buffer) => this.host.stderrLog.write(c));
    this.host.stderrLog.mark(`starting ${entry.name}`);
    transport.onerror = (err) => {
      if (/exceeded maximum size/i.test(err.message)) live.oversized = true;
      this.host.log.debug(`upstream ${entry.name}: transport error: ${err.message}`);
    };
    transport.onclose = () => {
      if (live.closing) return;
      live.crash = this.crashMessage(live);
      this.host.log.warn(`upstream ${live.crash}`);
      if (this.current === live) this.current = undefined;
      this.host.gone();
    };
    try {
      if (abort.aborted) throw abort.reason;
      await client.connect(transport, { timeout: deps.timeoutMs, signal: abort });
    } catch (err) {
      live.closing = true;
      await client.close().catch(() => {});
      if (abort.aborted) {
        throw new BridgeError(
          "CANCELLED",
          `starting server ${entry.name} was abandoned: ${this.closed ? "bridge is shutting down" : "every call waiting for it ended"}`,
          { cause: err },
        );
      }
      throw startError(this.host.about(), err, live.crash);
    }
    if (this.host.deps.outer?.capabilities()?.roots) await Promise.race([rootsSettled, Bun.sleep(ROOTS_SETTLE_MS)]);
    live.process = childOf(transport);
    this.host.log.debug(`upstream ${entry.name}: connected${live.process ? ` (pid ${live.process.pid})` : ""}`);
    this.current = live;
    return live;
  }

  private crashMessage(live: Live): string {
    return exitMessage(this.host.about(), live.oversized ?? false, live.process ?? childOf(live.transport));
  }
}

function abortPromise(signal: AbortSignal, what: string): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new BridgeError("CANCELLED", `${what} was cancelled`));
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
}
