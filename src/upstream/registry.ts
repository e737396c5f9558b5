/**
 * All upstream servers of one bridge process: which servers exist (from discovery, re-read at most
 * every few seconds), one lazily started connection per server, tool lists (memory → disk cache →
 * server), ranked search across every allowed server within a time budget (listing.ts), and tool
 * calls with argument checks, tied to the run_python call that makes them. Only servers discovery
 * marks `ok` are ever started: every path (calls, listing, search, resources) goes through
 * `entry(name)`, which refuses any other, saying why and what would make it available (a server
 * bridge's own allow/deny policy excludes stays unknown: the user chose what bridge exposes).
 */
import { join } from "node:path";
import { BridgeError } from "../errors.ts";
import { serverAliases } from "./aliases.ts";
import { unavailableError } from "./unavailable.ts";
import { checkToolArgs } from "./arg-check.ts";
import { Bm25Index } from "./bm25.ts";
import { UpstreamConnection, type CallOptions, type ConnectionDeps } from "./connection.ts";
import { ToolListings, type Gathered } from "./listing.ts";
import type { OuterClient } from "./origin.ts";
import { serverConfigHash, ToolCache } from "./tool-cache.ts";
import { oneLine, paramNames, type ToolDoc } from "./tool-docs.ts";
import type { ServerEntry } from "./types.ts";

export interface RegistryDeps {
  /**
   * Every discovered server, whatever its status; called again when the cached list is older than
   * `rediscoverMs`. Only `ok` ones are used; the others only explain why a name is not available.
   */
  discover: () => Promise<ServerEntry[]>;
  stateDir: string;
  timeoutMs: number;
  log: ConnectionDeps["log"];
  createTransport?: ConnectionDeps["createTransport"];
  maxMessageBytes?: number;
  rediscoverMs?: number;
  /** How many servers are started at once when a search needs tool lists. */
  startConcurrency?: number;
  /** How long a search waits for tool lists it has to fetch (default 8 s). */
  searchBudgetMs?: number;
  /** The client that started serve (capabilities, roots); none in `bridge run`. */
  outer?: OuterClient;
}

/** Default for `searchBudgetMs`: well under run_python's default 30 s timeout. */
export const SEARCH_BUDGET_MS = 8000;

/** One search hit as Python receives it. */
export interface ToolSearchHit {
  server: string;
  tool: string;
  description: string;
  score: number;
}

export class UpstreamRegistry {
  private readonly connections = new Map<string, { hash: string; conn: UpstreamConnection }>();
  private readonly cache: ToolCache;
  private discovered?: { at: number; entries: ServerEntry[]; blocked: Map<string, ServerEntry> };
  private discovering?: Promise<ServerEntry[]>;
  private readonly listings: ToolListings;

  constructor(private readonly deps: RegistryDeps) {
    this.cache = new ToolCache(join(deps.stateDir, "tool-cache"));
    this.listings = new ToolListings({
      budgetMs: deps.searchBudgetMs ?? SEARCH_BUDGET_MS,
      concurrency: deps.startConcurrency ?? 4,
      known: (entry) => this.connections.get(entry.name)?.conn.knownTools ?? this.cache.read(entry),
      latest: (name) => this.cache.readLatest(name),
      list: (entry) => this.listForIndex(entry),
    });
    deps.outer?.onRootsChanged(() => {
      for (const { conn } of this.connections.values()) conn.notifyRootsChanged();
    });
  }

  /** Usable servers, sorted by name. */
  async entries(): Promise<ServerEntry[]> {
    const fresh = this.discovered && Date.now() - this.discovered.at < (this.deps.rediscoverMs ?? 2000);
    if (fresh) return this.discovered!.entries;
    this.discovering ??= this.deps
      .discover()
      .then((list) => {
        const entries = list
          .filter((e) => e.status === "ok")
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        // bridge's own policy (MCP_BRIDGE_DENY_SERVERS / _ALLOW_SERVERS) hides a server from sandboxed code entirely.
        const blocked = new Map(list.filter((e) => e.status !== "ok" && e.status !== "denied").map((e) => [e.name, e]));
        this.discovered = { at: Date.now(), entries, blocked };
        return entries;
      })
      .finally(() => (this.discovering = undefined));
    return this.discovering;
  }

  /** Server name → Python alias, over every usable server (stable whichever ones a call loads). */
  async aliases(): Promise<Map<string, string>> {
    return serverAliases((await this.entries()).map((e) => e.name));
  }

  /**
   * The usable entry for `name`. A server discovery found but may not start (pending approval,
   * disabled, excluded, …) → SERVER_UNKNOWN saying its status and the next step, secrets masked;
   * a name nobody defines, or one bridge's policy denies → SERVER_UNKNOWN listing the available names.
   */
  async entry(name: string): Promise<ServerEntry> {
    const entries = await this.entries();
    const found = entries.find((e) => e.name === name);
    if (found) return found;
    const blocked = this.discovered?.blocked.get(name);
    if (blocked) throw unavailableError(blocked);
    const names = entries.map((e) => e.name);
    throw new BridgeError(
      "SERVER_UNKNOWN",
      `unknown MCP server ${JSON.stringify(name)}; available: ${names.length ? names.join(", ") : "none (no MCP servers are configured)"}`,
      {
        hint: "Use one of the names above (discovered_servers() lists them); `bridge discover` shows where servers come from.",
      },
    );
  }

  /** The connection for a server (created, not started); replaced when its config changed. */
  async connection(name: string): Promise<UpstreamConnection> {
    const entry = await this.entry(name);
    const hash = serverConfigHash(entry);
    const existing = this.connections.get(name);
    if (existing && existing.hash === hash) return existing.conn;
    if (existing) void existing.conn.close();
    const conn = new UpstreamConnection(entry, {
      timeoutMs: this.deps.timeoutMs,
      logDir: join(this.deps.stateDir, "logs"),
      log: this.deps.log,
      createTransport: this.deps.createTransport,
      maxMessageBytes: this.deps.maxMessageBytes,
      onToolsChanged: (tools) => this.saveTools(entry, tools),
      outer: this.deps.outer,
    });
    this.connections.set(name, { hash, conn });
    return conn;
  }

  /** A server's tools: from the running connection, else the disk cache, else by starting it. */
  async tools(name: string, signal?: AbortSignal, opts: { live?: boolean } = {}): Promise<ToolDoc[]> {
    const conn = await this.connection(name);
    if (!opts.live) {
      const cached = conn.knownTools ?? this.cache.read(conn.entry);
      if (cached) return cached;
    }
    try {
      const tools = opts.live ? await conn.refreshTools(signal) : await conn.listTools(signal);
      this.saveTools(conn.entry, tools);
      this.listings.noteOutcome(conn.entry);
      return tools;
    } catch (err) {
      if (!signal?.aborted) this.listings.noteOutcome(conn.entry, err);
      throw err;
    }
  }

  /** One tool's documentation; unknown tool → error listing the server's tools. */
  async tool(server: string, tool: string, signal?: AbortSignal): Promise<ToolDoc> {
    let tools = await this.tools(server, signal);
    let found = tools.find((t) => t.name === tool);
    if (!found) {
      tools = await this.tools(server, signal, { live: true });
      found = tools.find((t) => t.name === tool);
    }
    if (!found) {
      throw new BridgeError(
        "USAGE",
        `server ${server} has no tool ${JSON.stringify(tool)}; its tools: ${tools.map((t) => t.name).join(", ") || "none"}`,
        {
          hint: `search_tool_docs("…") finds tools across servers.`,
        },
      );
    }
    return found;
  }

  /** Checks the arguments against the schema (re-listing once if the cached schema disagrees), then calls. */
  async call(server: string, tool: string, args: Record<string, unknown>, opts: CallOptions = {}) {
    let doc = await this.tool(server, tool, opts.signal);
    try {
      checkToolArgs(server, doc, args);
    } catch (err) {
      const fresh = (await this.tools(server, opts.signal, { live: true })).find((t) => t.name === tool);
      if (!fresh) throw err;
      checkToolArgs(server, fresh, args);
      doc = fresh;
    }
    const conn = await this.connection(server);
    return conn.callTool(tool, args, { ...opts, task: doc.execution?.taskSupport === "required" });
  }

  /** A server's resources (resources/list). */
  async resources(server: string, signal?: AbortSignal) {
    return (await this.connection(server)).listResources(signal);
  }

  /** Reads one resource of a server by URI. */
  async readResource(server: string, uri: string, signal?: AbortSignal) {
    return (await this.connection(server)).readResource(uri, signal);
  }

  /** Ranked search over every usable server's tools, within the search budget; servers not listed in time are named with the reason. */
  async search(
    query: string,
    limit: number,
    signal?: AbortSignal,
  ): Promise<{ results: ToolSearchHit[] } & Omit<Gathered, "lists">> {
    const { lists, unavailable, stale } = await this.listings.gather(await this.entries(), signal);
    lists.sort((a, b) => (a.server < b.server ? -1 : 1));
    const docs = lists.flatMap(({ server, tools }) =>
      tools.map((t) => ({
        ref: { server, tool: t.name, description: oneLine(t.description ?? t.title) },
        name: `${t.name} ${t.title ?? ""}`,
        params: paramNames(t.inputSchema),
        description: t.description ?? "",
      })),
    );
    const hits = new Bm25Index(docs).search(query, limit);
    return { results: hits.map((h) => ({ ...h.ref, score: Math.round(h.score * 1000) / 1000 })), unavailable, stale };
  }

  /** Lists a server for the search index; a server started only for that is stopped again (its list is on disk now). */
  private async listForIndex(entry: ServerEntry): Promise<ToolDoc[]> {
    const conn = await this.connection(entry.name);
    const wasActive = conn.active;
    try {
      const tools = await conn.listTools();
      this.saveTools(conn.entry, tools);
      return tools;
    } finally {
      if (!wasActive && !conn.usedForCalls && this.connections.get(entry.name)?.conn === conn)
        await this.release(entry.name);
    }
  }

  /** The running connection of a server, if it was started in this process. */
  started(name: string): UpstreamConnection | undefined {
    return this.connections.get(name)?.conn;
  }

  /** Closes one server's connection; the next use starts it again. */
  async release(name: string): Promise<void> {
    const existing = this.connections.get(name);
    this.connections.delete(name);
    await existing?.conn.close();
  }

  /** Closes every connection (ends stdio server processes). */
  async closeAll(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.allSettled(all.map(({ conn }) => conn.close()));
  }

  private saveTools(entry: ServerEntry, tools: ToolDoc[]): void {
    const err = this.cache.write(entry, tools);
    if (err) this.deps.log.debug(`upstream ${entry.name}: tool cache not written: ${err.message}`);
  }
}
