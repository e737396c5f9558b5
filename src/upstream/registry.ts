/**
 * All upstream servers of one bridge process: which servers exist (from discovery, re-read at most
 * every few seconds), one lazily started connection per server, tool lists (memory → disk cache →
 * server), ranked search across every allowed server, and tool calls with argument checks.
 */
import { join } from "node:path";
import { BridgeError } from "../errors.ts";
import { serverAliases } from "./aliases.ts";
import { checkToolArgs } from "./arg-check.ts";
import { Bm25Index } from "./bm25.ts";
import { UpstreamConnection, type ConnectionDeps } from "./connection.ts";
import { serverConfigHash, ToolCache } from "./tool-cache.ts";
import { oneLine, paramNames, type ToolDoc } from "./tool-docs.ts";
import type { ServerEntry } from "./types.ts";

export interface RegistryDeps {
  /** The usable (allowed, enabled) servers; called again when the cached list is older than `rediscoverMs`. */
  discover: () => Promise<ServerEntry[]>;
  stateDir: string;
  timeoutMs: number;
  log: ConnectionDeps["log"];
  createTransport?: ConnectionDeps["createTransport"];
  maxMessageBytes?: number;
  rediscoverMs?: number;
  /** How many servers are started at once when a search needs tool lists. */
  startConcurrency?: number;
}

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
  private discovered?: { at: number; entries: ServerEntry[] };
  private discovering?: Promise<ServerEntry[]>;

  constructor(private readonly deps: RegistryDeps) {
    this.cache = new ToolCache(join(deps.stateDir, "tool-cache"));
  }

  /** Usable servers, sorted by name. */
  async entries(): Promise<ServerEntry[]> {
    const fresh = this.discovered && Date.now() - this.discovered.at < (this.deps.rediscoverMs ?? 2000);
    if (fresh) return this.discovered!.entries;
    this.discovering ??= this.deps
      .discover()
      .then((list) => {
        const entries = [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        this.discovered = { at: Date.now(), entries };
        return entries;
      })
      .finally(() => (this.discovering = undefined));
    return this.discovering;
  }

  /** Server name → Python alias, over every usable server (stable whichever ones a call loads). */
  async aliases(): Promise<Map<string, string>> {
    return serverAliases((await this.entries()).map((e) => e.name));
  }

  /** The entry for `name`; unknown → SERVER_UNKNOWN listing the available names. */
  async entry(name: string): Promise<ServerEntry> {
    const entries = await this.entries();
    const found = entries.find((e) => e.name === name);
    if (found) return found;
    const names = entries.map((e) => e.name);
    throw new BridgeError("SERVER_UNKNOWN", `unknown MCP server ${JSON.stringify(name)}; available: ${names.length ? names.join(", ") : "none (no MCP servers are configured)"}`, {
      hint: "Use one of the names above (discovered_servers() lists them); `bridge discover` shows where servers come from.",
    });
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
    const tools = opts.live ? await conn.refreshTools(signal) : await conn.listTools(signal);
    this.saveTools(conn.entry, tools);
    return tools;
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
      throw new BridgeError("USAGE", `server ${server} has no tool ${JSON.stringify(tool)}; its tools: ${tools.map((t) => t.name).join(", ") || "none"}`, {
        hint: `search_tool_docs("…") finds tools across servers.`,
      });
    }
    return found;
  }

  /** Checks the arguments against the schema (re-listing once if the cached schema disagrees), then calls. */
  async call(server: string, tool: string, args: Record<string, unknown>, signal?: AbortSignal) {
    const doc = await this.tool(server, tool, signal);
    try {
      checkToolArgs(server, doc, args);
    } catch (err) {
      const fresh = (await this.tools(server, signal, { live: true })).find((t) => t.name === tool);
      if (!fresh) throw err;
      checkToolArgs(server, fresh, args);
    }
    const conn = await this.connection(server);
    return conn.callTool(tool, args, signal);
  }

  /** Tool lists of every usable server; servers that cannot be listed are reported, not fatal. */
  async allTools(signal?: AbortSignal): Promise<{ lists: Array<{ server: string; tools: ToolDoc[] }>; unavailable: Array<{ server: string; error: string }> }> {
    const entries = await this.entries();
    const lists: Array<{ server: string; tools: ToolDoc[] }> = [];
    const unavailable: Array<{ server: string; error: string }> = [];
    let next = 0;
    const worker = async () => {
      while (next < entries.length) {
        const entry = entries[next++]!;
        const wasActive = this.connections.get(entry.name)?.conn.active ?? false;
        try {
          lists.push({ server: entry.name, tools: await this.tools(entry.name, signal) });
        } catch (err) {
          unavailable.push({ server: entry.name, error: (err as Error).message });
        }
        // Servers started only to index their tools are stopped again (the list is on disk now).
        if (!wasActive && this.connections.get(entry.name)?.conn.active) await this.release(entry.name);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.deps.startConcurrency ?? 4, entries.length) }, worker));
    lists.sort((a, b) => (a.server < b.server ? -1 : 1));
    unavailable.sort((a, b) => (a.server < b.server ? -1 : 1));
    return { lists, unavailable };
  }

  /** Ranked search over every usable server's tools. */
  async search(query: string, limit: number, signal?: AbortSignal): Promise<{ results: ToolSearchHit[]; unavailable: Array<{ server: string; error: string }> }> {
    const { lists, unavailable } = await this.allTools(signal);
    const docs = lists.flatMap(({ server, tools }) =>
      tools.map((t) => ({ ref: { server, tool: t.name, description: oneLine(t.description ?? t.title) }, name: `${t.name} ${t.title ?? ""}`, params: paramNames(t.inputSchema), description: t.description ?? "" })),
    );
    const hits = new Bm25Index(docs).search(query, limit);
    return { results: hits.map((h) => ({ ...h.ref, score: Math.round(h.score * 1000) / 1000 })), unavailable };
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
