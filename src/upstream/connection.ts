/**
 * One upstream MCP server: an SDK Client started lazily on first use and reused. Stdio servers get
 * their stderr in a bounded log file; a server that exits makes the calls in flight fail with its exit
 * code and last stderr lines, and is started again on the next call. Tool lists are kept in memory
 * and refreshed on notifications/tools/list_changed and whenever a call starts the server. Every
 * message this module produces (errors that reach the model, log lines) has the entry's secrets
 * (URL keys, header and env values) replaced by `***` (secrets.ts).
 */
import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ErrorCode, McpError, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { formatBytes } from "../config/index.ts";
import { BridgeError, isBridgeError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { maskUrl, redactor } from "./secrets.ts";
import { BoundedLog } from "./stderr-log.ts";
import { toToolDoc, type ToolDoc } from "./tool-docs.ts";
import type { ServerEntry } from "./types.ts";

/** What a connection needs from the outside world; `createTransport` is swapped in tests. */
export interface ConnectionDeps {
  /** Per-request timeout (connect, tools/list, tools/call). */
  timeoutMs: number;
  /** Where `<server>.log` (stderr) goes. */
  logDir: string;
  log: { debug(msg: string): void; warn(msg: string): void };
  /** Called with the fresh list after a tools/list_changed notification. */
  onToolsChanged?: (tools: ToolDoc[]) => void;
  createTransport?: (entry: ServerEntry) => Transport;
  /** Largest message accepted from a stdio server (default MAX_MESSAGE_BYTES). */
  maxMessageBytes?: number;
}

/** Largest single JSON-RPC message accepted from a stdio server (the SDK default is 10 MB). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

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

function defaultTransport(entry: ServerEntry, maxMessageBytes: number): Transport {
  if (entry.transport === "stdio") {
    if (!entry.command) throw new BridgeError("UPSTREAM_FAILED", `server ${entry.name} has no command (from ${entry.source})`);
    return new StdioClientTransport({ command: entry.command, args: entry.args ?? [], env: entry.env, cwd: entry.cwd, stderr: "pipe", maxBufferSize: maxMessageBytes });
  }
  if (!entry.url) throw new BridgeError("UPSTREAM_FAILED", `server ${entry.name} has no url (from ${entry.source})`);
  const requestInit = entry.headers ? { headers: entry.headers } : undefined;
  return entry.transport === "sse"
    ? new SSEClientTransport(new URL(entry.url), { requestInit })
    : new StreamableHTTPClientTransport(new URL(entry.url), { requestInit });
}

/** A log file name for a server: its name when that is a safe file name, else a sanitised name + hash. */
function fileStem(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^\.+/, "_").slice(0, 100) || "server";
  return safe === name ? safe : `${safe}-${createHash("sha256").update(name).digest("hex").slice(0, 8)}`;
}

export class UpstreamConnection {
  readonly stderrLog: BoundedLog;
  private live?: Live;
  private starting?: Promise<Live>;
  private tools?: ToolDoc[];
  private closed = false;
  private readonly redact: (text: string) => string;
  private readonly log: ConnectionDeps["log"];

  constructor(readonly entry: ServerEntry, private readonly deps: ConnectionDeps) {
    this.redact = redactor(entry);
    this.log = { debug: (m) => deps.log.debug(this.redact(m)), warn: (m) => deps.log.warn(this.redact(m)) };
    this.stderrLog = new BoundedLog(deps.logDir, fileStem(entry.name), undefined, (m) => this.log.warn(m));
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
      const page = await this.guard(live, "tools/list", () => live.client.listTools(cursor ? { cursor } : undefined, { timeout: this.deps.timeoutMs, signal }));
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    this.tools = tools.map(toToolDoc);
    return this.tools;
  }

  /** Calls a tool; errors are BridgeErrors that name the server and say what happened. */
  async callTool(tool: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<CallToolResult> {
    const live = await this.connect(signal);
    if (!this.tools) this.refreshInBackground();
    return (await this.guard(live, `tools/call ${tool}`, () =>
      // Progress notifications restart the timeout: a slow tool that reports progress is not cut off.
      live.client.callTool({ name: tool, arguments: args }, undefined, { timeout: this.deps.timeoutMs, signal, onprogress: () => {}, resetTimeoutOnProgress: true }),
    )) as CallToolResult;
  }

  /** Lists the tools of a freshly started server without holding up the call, so a cached list that went stale is replaced. */
  private refreshInBackground(): void {
    this.refreshTools()
      .then((tools) => this.deps.onToolsChanged?.(tools))
      .catch((err) => this.log.debug(`upstream ${this.entry.name}: background tools/list failed: ${(err as Error).message}`));
  }

  /** Starts the server if it is not running (concurrent callers share one start). */
  async connect(signal?: AbortSignal): Promise<Live> {
    if (this.closed) throw new BridgeError("UPSTREAM_FAILED", `server ${this.entry.name}: bridge is shutting down`);
    if (this.live && !this.live.crash) return this.live;
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    if (!signal) return this.starting;
    return Promise.race([this.starting, abortPromise(signal, `starting server ${this.entry.name}`)]);
  }

  /** Closes the client and ends the server process. */
  async close(): Promise<void> {
    this.closed = true;
    const live = this.live ?? (await this.starting?.catch(() => undefined));
    this.live = undefined;
    if (!live) return;
    live.closing = true;
    await live.client.close().catch((err) => this.log.debug(`upstream ${this.entry.name}: close: ${String(err)}`));
  }

  private async start(): Promise<Live> {
    const { entry, deps } = this;
    const transport = deps.createTransport ? deps.createTransport(entry) : defaultTransport(entry, this.maxMessageBytes);
    const client = new Client(
      { name: "bridge", version: VERSION },
      {
        capabilities: {},
        listChanged: {
          tools: {
            onChanged: (err, tools) => {
              if (err) return this.log.warn(`upstream ${entry.name}: refreshing tools after list_changed failed: ${err.message}`);
              this.tools = (tools ?? []).map(toToolDoc);
              deps.onToolsChanged?.(this.tools);
            },
          },
        },
      },
    );
    const live: Live = { client, transport, closing: false };
    if (transport instanceof StdioClientTransport) transport.stderr?.on("data", (c: Buffer) => this.stderrLog.write(c));
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
      await client.connect(transport, { timeout: deps.timeoutMs });
    } catch (err) {
      live.closing = true;
      await client.close().catch(() => {});
      throw this.startError(err, live);
    }
    live.process = (transport as unknown as { _process?: ChildProcess })._process;
    this.log.debug(`upstream ${entry.name}: connected${live.process ? ` (pid ${live.process.pid})` : ""}`);
    this.live = live;
    return live;
  }

  private startError(err: unknown, live: Live): BridgeError {
    if (isBridgeError(err)) return err;
    const e = err as NodeJS.ErrnoException;
    const what = this.entry.transport === "stdio" ? `command ${JSON.stringify(this.entry.command)}` : `url ${maskUrl(this.entry.url ?? "")}`;
    if (e?.code === "ENOENT") {
      return new BridgeError("UPSTREAM_FAILED", `server ${this.entry.name} could not start: ${what} not found`, { hint: `Fix the entry in ${this.entry.source}.`, cause: err });
    }
    const tail = this.stderrLog.lastLines();
    const why = this.redact(live.crash ?? `${e?.message ?? String(err)}${tail.length ? `; last stderr lines:\n${tail.join("\n")}` : ""}`);
    return new BridgeError("UPSTREAM_FAILED", `server ${this.entry.name} could not start (${what}): ${why}`, {
      hint: `Check the entry in ${this.entry.source}; full stderr: ${this.stderrLog.path}`,
      cause: err,
    });
  }

  private crashMessage(live: Live): string {
    if (live.oversized) {
      return `server ${this.entry.name} sent a message larger than ${formatBytes(this.maxMessageBytes)}; bridge closed the connection`;
    }
    const p = live.process ?? (live.transport as unknown as { _process?: ChildProcess })._process;
    const how = p ? (p.signalCode ? `signal ${p.signalCode}` : p.exitCode !== null ? `code ${p.exitCode}` : "code unknown") : "connection closed";
    const tail = this.stderrLog.lastLines();
    const verb = this.entry.transport === "stdio" ? "exited" : "closed the connection";
    return this.redact(`server ${this.entry.name} ${verb} (${how})${tail.length ? `; last stderr lines:\n${tail.join("\n")}` : "; it wrote nothing to stderr"}`);
  }

  /** Runs one request and maps its failure to a clear BridgeError. */
  private async guard<T>(live: Live, what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      if (live.crash) throw new BridgeError("UPSTREAM_FAILED", `${live.crash}`, { hint: "bridge starts it again on the next call.", cause: err });
      if (err instanceof McpError && err.code === ErrorCode.RequestTimeout) {
        throw new BridgeError("TIMEOUT", `server ${this.entry.name} did not answer ${what} within ${Math.round(this.deps.timeoutMs / 1000)}s`, {
          hint: "Raise MCP_BRIDGE_UPSTREAM_TIMEOUT if the tool is slow.",
          cause: err,
        });
      }
      if ((err as Error)?.name === "AbortError") throw new BridgeError("CANCELLED", `${what} on server ${this.entry.name} was cancelled`, { cause: err });
      if (isBridgeError(err)) throw err;
      throw new BridgeError("UPSTREAM_FAILED", this.redact(`server ${this.entry.name}: ${what} failed: ${(err as Error)?.message ?? String(err)}`), { cause: err });
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
