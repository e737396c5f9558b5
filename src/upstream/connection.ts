/**
 * One upstream MCP server as the registry uses it: its tool list (kept in memory, replaced on
 * tools/list_changed and re-listed in the background after a start), tool calls (progress relayed,
 * task-only tools through the task API, each call tied to its run_python call for the requests the
 * server sends back, client-requests.ts), and resources. The SDK Client itself — started on first
 * use, shared by concurrent callers, abandoned, started again after a crash — is client-lifecycle.ts.
 * Every text this module produces or passes on (errors that reach the model, log lines, progress
 * and task status messages) has the entry's secrets (URL keys, header and env values, `--token`
 * arguments) replaced by `***` (secrets.ts).
 */
import type { CallToolResult, ReadResourceResult, Resource, Tool } from "@modelcontextprotocol/sdk/types.js";
import { BridgeError } from "../errors.ts";
import { ClientLifecycle, type Live } from "./client-lifecycle.ts";
import { CallTracker } from "./client-requests.ts";
import { MAX_MESSAGE_BYTES, type CallOptions, type ConnectionDeps } from "./connection-deps.ts";
import { requestError, type ConnectionFacts } from "./connection-errors.ts";
import { shownCallbacks } from "./progress-text.ts";
import { redactor } from "./secrets.ts";
import { BoundedLog, fileStem } from "./stderr-log.ts";
import { callToolAsTask } from "./task-call.ts";
import { toToolDoc, type ToolDoc } from "./tool-docs.ts";
import type { ServerEntry } from "./types.ts";

export { MAX_MESSAGE_BYTES, type CallOptions, type ConnectionDeps } from "./connection-deps.ts";
export { MAX_PROGRESS_MESSAGE } from "./progress-text.ts";

export class UpstreamConnection {
  readonly stderrLog: BoundedLog;
  /** True once a tool call used this connection (a server started only to list its tools is stopped again). */
  usedForCalls = false;
  private readonly calls = new CallTracker();
  private readonly lifecycle: ClientLifecycle;
  private tools?: ToolDoc[];
  private readonly redact: (text: string) => string;
  private readonly log: ConnectionDeps["log"];

  constructor(
    readonly entry: ServerEntry,
    private readonly deps: ConnectionDeps,
  ) {
    this.redact = redactor(entry);
    this.log = { debug: (m) => deps.log.debug(this.redact(m)), warn: (m) => deps.log.warn(this.redact(m)) };
    this.stderrLog = new BoundedLog(deps.logDir, fileStem(entry.name), undefined, (m) => this.log.warn(m));
    this.lifecycle = new ClientLifecycle({
      entry,
      deps,
      log: this.log,
      stderrLog: this.stderrLog,
      calls: this.calls,
      about: () => this.about,
      toolsChanged: (tools) => {
        this.tools = tools;
        deps.onToolsChanged?.(this.tools);
      },
      gone: () => {
        this.tools = undefined;
      },
    });
  }

  private get maxMessageBytes(): number {
    return this.deps.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  }

  /** Pid of the running stdio server, if any. */
  get pid(): number | undefined {
    return this.lifecycle.live?.process?.pid ?? undefined;
  }

  /** True while a client is connected or starting. */
  get active(): boolean {
    return this.lifecycle.active;
  }

  /** Server name/version and instructions from initialize, when connected. */
  serverInfo(): { name?: string; version?: string; instructions?: string } | undefined {
    const c = this.lifecycle.live?.client;
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
    const { onprogress, onStatus } = shownCallbacks(this.redact, opts);
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
    const live = this.lifecycle.live;
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
  connect(signal?: AbortSignal): Promise<Live> {
    return this.lifecycle.connect(signal);
  }

  /** Closes the client and ends the server's process group, also while it is still starting. */
  close(): Promise<void> {
    return this.lifecycle.close();
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
  /** Runs one request and maps its failure to a clear BridgeError. */
  private async guard<T>(live: Live, what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      throw requestError(this.about, what, err, live.crash);
    }
  }
}
