/**
 * One upstream MCP server: an SDK Client started lazily on first use and reused. Stdio servers run
 * in their own process group (src/upstream/stdio-transport.ts) with stderr in a bounded log file; a
 * server that exits makes the calls in flight fail with its exit code and last stderr lines, and is
 * started again on the next call. A start is shared by concurrent callers and abandoned (its
 * process group ended) when every caller waiting for it was cancelled, or when bridge shuts down.
 * The client declares roots (and sampling/elicitation when the outer client has them, see
 * client-requests.ts); tool calls relay progress, and task-only tools go through the task API.
 * Every text this module produces or passes on (errors that reach the model, log lines, progress
 * and task status messages) has the entry's secrets (URL keys, header and env values, `--token`
 * arguments) replaced by `***` (secrets.ts).
 */
import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type {
  CallToolResult,
  Progress,
  ReadResourceResult,
  Resource,
  Task,
  Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { BridgeError } from "../errors.ts";
import type { CallOrigin } from "../sandbox/extension.ts";
import { VERSION } from "../version.ts";
import { CallTracker, installClientHandlers } from "./client-requests.ts";
import { upstreamCapabilities, type OuterClient } from "./origin.ts";
import { exitMessage, requestError, startError, type ConnectionFacts } from "./connection-errors.ts";
import { redactor } from "./secrets.ts";
import { BoundedLog } from "./stderr-log.ts";
import { callToolAsTask } from "./task-call.ts";
import { toToolDoc, type ToolDoc } from "./tool-docs.ts";
import { childOf, defaultTransport, stderrOf } from "./transports.ts";
import type { ServerEntry } from "./types.ts";

/** What a connection needs from the outside world; `createTransport` is swapped in tests. */
export interface ConnectionDeps {
  /** Per-request timeout (connect, tools/list, tools/call, forwarded client requests). */
  timeoutMs: number;
  /** Where `<server>.log` (stderr) goes. */
  logDir: string;
  log: { debug(msg: string): void; warn(msg: string): void };
  /** Called with the fresh list after a tools/list_changed notification. */
  onToolsChanged?: (tools: ToolDoc[]) => void;
  createTransport?: (entry: ServerEntry) => Transport;
  /** Largest message accepted from a stdio server (default MAX_MESSAGE_BYTES). */
  maxMessageBytes?: number;
  /** The client that started serve: its capabilities and roots (none in `bridge run`). */
  outer?: OuterClient;
}

/** One tool call's ties to the run_python call that made it. */
export interface CallOptions {
  signal?: AbortSignal;
  origin?: CallOrigin;
  onProgress?: (p: Progress) => void;
  /** Task status changes of a task-only tool. */
  onStatus?: (task: Task) => void;
  /** Call through the task API (the tool's `execution.taskSupport` is "required"). */
  task?: boolean;
}

/**
 * Largest single JSON-RPC message accepted from an upstream server, in bytes (the SDK's stdio
 * default is 10 MiB). Nothing larger can reach Python: a host-call result is at most 12 MiB
 * (MAX_CALL_BYTES in src/sandbox/messages.ts), and a message carries it about twice at most
 * (`structuredContent` plus the same JSON as escaped text), so 32 MiB passes every result that can
 * be delivered. A valid message is parsed whole: one of 31 MB took serve to ~240 MB (measured
 * 2026-11, Bun 1.4.5; 11 MB: 145 MB, idle: 73 MB); an endless line stays near idle (line-reader.ts).
 */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
/**
 * Servers that use roots ask for them right after initialize and apply them asynchronously
 * (server-filesystem); a call sent at once would find no allowed directory. When bridge declared
 * roots, a fresh connection waits up to this long for a roots/list, and a moment after answering it.
 */
const ROOTS_SETTLE_MS = 250;
const AFTER_ROOTS_MS = 50;
/** Longest progress or task status message passed on (a server may send megabytes in one). */
export const MAX_PROGRESS_MESSAGE = 8192;

interface Live {
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

/** A log file name for a server: its name when that is a safe file name, else a sanitised name + hash. */
function fileStem(name: string): string {
  const safe =
    name
      .replace(/[^A-Za-z0-9_.-]/g, "_")
      .replace(/^\.+/, "_")
      .slice(0, 100) || "server";
  return safe === name ? safe : `${safe}-${createHash("sha256").update(name).digest("hex").slice(0, 8)}`;
}

export class UpstreamConnection {
  readonly stderrLog: BoundedLog;
  /** True once a tool call used this connection (a server started only to list its tools is stopped again). */
  usedForCalls = false;
  private readonly calls = new CallTracker();
  private live?: Live;
  private starting?: Start;
  private tools?: ToolDoc[];
  private closed = false;
  private readonly redact: (text: string) => string;
  private readonly log: ConnectionDeps["log"];

  constructor(
    readonly entry: ServerEntry,
    private readonly deps: ConnectionDeps,
  ) {
    this.redact = redactor(entry);
    this.log = { debug: (m) => deps.log.debug(this.redact(m)), warn: (m) => deps.log.warn(this.redact(m)) };
    this.stderrLog = new BoundedLog(deps.logDir, fileStem(entry.name), undefined, (m) => this.log.warn(m));
  }

  /** A server's progress or status message as it may be shown: secrets masked, at most MAX_PROGRESS_MESSAGE characters. */
  private shown(message: string | undefined): string | undefined {
    if (message === undefined) return undefined;
    const text = this.redact(
      message.length > 4 * MAX_PROGRESS_MESSAGE ? message.slice(0, 4 * MAX_PROGRESS_MESSAGE) : message,
    );
    return text.length > MAX_PROGRESS_MESSAGE
      ? `${text.slice(0, MAX_PROGRESS_MESSAGE)}… [${text.length - MAX_PROGRESS_MESSAGE}+ more characters]`
      : text;
  }

  private get maxMessageBytes(): number {
    return this.deps.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  }

  /** Pid of the running stdio server, if any. */
  get pid(): number | undefined {
    return this.live?.process?.pid ?? undefined;
  }

  /** True while a client is connected or starting. */
  get active(): boolean {
    return Boolean((this.live && !this.live.crash) || this.starting);
  }

  /** Server name/version and instructions from initialize, when connected. */
  serverInfo(): { name?: string; version?: string; instructions?: string } | undefined {
    const c = this.live?.client;
    if (!c) return undefined;
    const v = c.getServerVersion();
    return { name: v?.name, version: v?.version, instructions: c.getInstructions() };
  }

  /** The tool list this connection last saw (tools/list or list_changed), if any. */
  get knownTools(): ToolDoc[] | undefined {
    return this.tools;
  }

  /** The tool list: from memory when known, else tools/list on the (started) server. */
  async listTools(signal?: AbortSignal): Promise<ToolDoc[]> {
    if (this.tools) return this.tools;
    return this.refreshTools(signal);
  }

  /** Asks the server for its tools now (all pages). */
  async refreshTools(signal?: AbortSignal): Promise<ToolDoc[]> {
    const live = await this.connect(signal);
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.guard(live, "tools/list", () =>
        live.client.listTools(cursor ? { cursor } : undefined, { timeout: this.deps.timeoutMs, signal }),
      );
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    this.tools = tools.map(toToolDoc);
    return this.tools;
  }

  /** Calls a tool; errors are BridgeErrors that name the server and say what happened. */
  async callTool(tool: string, args: Record<string, unknown>, opts: CallOptions = {}): Promise<CallToolResult> {
    this.usedForCalls = true;
    const live = await this.connect(opts.signal);
    if (!this.tools) this.refreshInBackground();
    const end = this.calls.begin(opts.origin);
    // Progress notifications restart the timeout: a slow tool that reports progress is not cut off.
    const onprogress = (p: Progress) =>
      opts.onProgress?.(p.message === undefined ? p : { ...p, message: this.shown(p.message) });
    const onStatus =
      opts.onStatus &&
      ((t: Task) =>
        opts.onStatus!(t.statusMessage === undefined ? t : { ...t, statusMessage: this.shown(t.statusMessage) }));
    try {
      if (opts.task) {
        return await this.guard(live, `tools/call ${tool}`, () =>
          callToolAsTask(live.client, tool, args, {
            server: this.entry.name,
            timeoutMs: this.deps.timeoutMs,
            signal: opts.signal,
            onProgress: onprogress,
            onStatus,
            onTask: (taskId) => this.calls.bindTask(taskId, opts.origin),
          }),
        );
      }
      return (await this.guard(live, `tools/call ${tool}`, () =>
        live.client.callTool({ name: tool, arguments: args }, undefined, {
          timeout: this.deps.timeoutMs,
          signal: opts.signal,
          onprogress,
          resetTimeoutOnProgress: true,
        }),
      )) as CallToolResult;
    } finally {
      end();
    }
  }

  /** The server's resources (all pages); a server without the resources capability gets a clear error. */
  async listResources(signal?: AbortSignal): Promise<Resource[]> {
    const live = await this.connect(signal);
    this.requireResources(live);
    const out: Resource[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.guard(live, "resources/list", () =>
        live.client.listResources(cursor ? { cursor } : undefined, { timeout: this.deps.timeoutMs, signal }),
      );
      out.push(...page.resources);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  /** Reads one resource by URI (e.g. a resource_link a tool returned). */
  async readResource(uri: string, signal?: AbortSignal): Promise<ReadResourceResult> {
    const live = await this.connect(signal);
    this.requireResources(live);
    return this.guard(live, `resources/read ${uri}`, () =>
      live.client.readResource({ uri }, { timeout: this.deps.timeoutMs, signal }),
    );
  }

  /** Tells a running server that the roots changed (the outer client's roots/list_changed). */
  notifyRootsChanged(): void {
    const live = this.live;
    if (live && !live.crash)
      void live.client
        .sendRootsListChanged()
        .catch((err) => this.log.debug(`upstream ${this.entry.name}: roots/list_changed: ${(err as Error).message}`));
  }

  private requireResources(live: Live): void {
    if (!live.client.getServerCapabilities()?.resources) {
      throw new BridgeError(
        "USAGE",
        `server ${this.entry.name} does not offer resources (it declared no resources capability)`,
      );
    }
  }

  /** Lists the tools of a freshly started server without holding up the call, so a cached list that went stale is replaced. */
  private refreshInBackground(): void {
    this.refreshTools()
      .then((tools) => this.deps.onToolsChanged?.(tools))
      .catch((err) =>
        this.log.debug(`upstream ${this.entry.name}: background tools/list failed: ${(err as Error).message}`),
      );
  }

  /**
   * Starts the server if it is not running; concurrent callers share one start. A caller with a
   * signal stops waiting when it aborts; when every waiting caller has aborted (and none waits
   * without a signal), the start itself is abandoned and its process group ended.
   */
  async connect(signal?: AbortSignal): Promise<Live> {
    if (this.closed) throw new BridgeError("UPSTREAM_FAILED", `server ${this.entry.name}: bridge is shutting down`);
    if (this.live && !this.live.crash) return this.live;
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
      return await Promise.race([start.promise, abortPromise(signal, `starting server ${this.entry.name}`)]);
    } finally {
      start.waiters--;
      if (signal.aborted && start.waiters === 0 && !start.pinned) start.abort.abort();
    }
  }

  /** Closes the client and ends the server's process group, also while it is still starting. */
  async close(): Promise<void> {
    this.closed = true;
    this.starting?.abort.abort();
    const live = this.live ?? (await this.starting?.promise.catch(() => undefined));
    this.live = undefined;
    if (!live) return;
    live.closing = true;
    await live.client.close().catch((err) => this.log.debug(`upstream ${this.entry.name}: close: ${String(err)}`));
  }

  private newClient(onRootsAnswered: () => void): Client {
    const { entry, deps } = this;
    const capabilities = upstreamCapabilities(deps.outer?.capabilities());
    const client = new Client(
      { name: "bridge", version: VERSION },
      {
        capabilities,
        listChanged: {
          tools: {
            onChanged: (err, tools) => {
              if (err)
                return this.log.warn(
                  `upstream ${entry.name}: refreshing tools after list_changed failed: ${err.message}`,
                );
              this.tools = (tools ?? []).map(toToolDoc);
              deps.onToolsChanged?.(this.tools);
            },
          },
        },
      },
    );
    installClientHandlers(client, capabilities, {
      server: entry.name,
      tracker: this.calls,
      outer: deps.outer,
      timeoutMs: deps.timeoutMs,
      onRootsAnswered,
    });
    return client;
  }

  private async start(abort: AbortSignal): Promise<Live> {
    const { entry, deps } = this;
    const transport = deps.createTransport
      ? deps.createTransport(entry)
      : defaultTransport(entry, this.maxMessageBytes);
    let rootsAnswered!: () => void;
    const rootsSettled = new Promise<void>((resolve) => (rootsAnswered = resolve)).then(() =>
      Bun.sleep(AFTER_ROOTS_MS),
    );
    const client = this.newClient(rootsAnswered);
    const live: Live = { client, transport, closing: false };
    stderrOf(transport)?.on("data", (c: Buffer) => this.stderrLog.write(c));
    this.stderrLog.mark(`starting ${entry.name}`);
    transport.onerror = (err) => {
      if (/exceeded maximum size/i.test(err.message)) live.oversized = true;
      this.log.debug(`upstream ${entry.name}: transport error: ${err.message}`);
    };
    transport.onclose = () => {
      if (live.closing) return;
      live.crash = this.crashMessage(live);
      this.log.warn(`upstream ${live.crash}`);
      if (this.live === live) this.live = undefined;
      this.tools = undefined;
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
      throw startError(this.about, err, live.crash);
    }
    if (this.deps.outer?.capabilities()?.roots) await Promise.race([rootsSettled, Bun.sleep(ROOTS_SETTLE_MS)]);
    live.process = childOf(transport);
    this.log.debug(`upstream ${entry.name}: connected${live.process ? ` (pid ${live.process.pid})` : ""}`);
    this.live = live;
    return live;
  }

  /** What error messages need to know about this connection. */
  private get about(): ConnectionFacts {
    return {
      entry: this.entry,
      timeoutMs: this.deps.timeoutMs,
      stderrLog: this.stderrLog,
      maxMessageBytes: this.maxMessageBytes,
      redact: this.redact,
    };
  }

  private crashMessage(live: Live): string {
    return exitMessage(this.about, live.oversized ?? false, live.process ?? childOf(live.transport));
  }

  /** Runs one request and maps its failure to a clear BridgeError. */
  private async guard<T>(live: Live, what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      throw requestError(this.about, what, err, live.crash);
    }
  }
}

function abortPromise(signal: AbortSignal, what: string): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new BridgeError("CANCELLED", `${what} was cancelled`));
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
}
