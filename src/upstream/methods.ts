/**
 * Host methods behind the `mcp.runtime` helpers. Parameters come from sandboxed code, so each is
 * validated; server configs are described without env, headers or args (they may hold secrets),
 * and a URL only by its origin (hosted endpoints put keys in the path).
 */
import { z } from "zod";
import type { HostMethod } from "../sandbox/extension.ts";
import { toolAttributeNames } from "./aliases.ts";
import { describeParams } from "./arg-check.ts";
import { callMethods } from "./call-methods.ts";
import { nameSchema, parseParams } from "./params.ts";
import type { UpstreamRegistry } from "./registry.ts";
import { urlOrigin } from "./secrets.ts";
import { oneLine, paramNames, requiredParams, type ToolDoc } from "./tool-docs.ts";
import type { ServerEntry } from "./types.ts";

const MAX_QUERY = 1000;
const name = nameSchema;
const schemas = {
  server: z.object({ server: name }),
  named: z.object({ name, loaded: z.array(z.string()).optional() }),
  discovered: z.object({ detailed: z.boolean().optional(), loaded: z.array(z.string()).optional() }),
  query: z.object({ server: name, tool: name.nullish(), detail: z.enum(["summary", "full"]).optional() }),
  search: z.object({ query: z.string().max(MAX_QUERY), limit: z.number().int().min(1).max(100).optional() }),
  summary: z.object({ loaded: z.array(z.string()).optional() }),
};
const parse = parseParams;

function publicEntry(e: ServerEntry, alias: string | undefined, loaded: Set<string>) {
  return {
    name: e.name,
    alias: alias ?? null,
    transport: e.transport,
    format: e.format,
    source: e.source,
    command: e.transport === "stdio" ? (e.command ?? null) : null,
    url: e.url ? urlOrigin(e.url) : null,
    loaded: loaded.has(e.name),
  };
}

const toolSummary = (t: ToolDoc) => ({
  name: t.name,
  description: oneLine(t.description ?? t.title),
  params: paramNames(t.inputSchema),
});

/** What the prelude needs to build `mcp_<alias>` for one server. */
export async function serverMeta(registry: UpstreamRegistry, server: string, signal?: AbortSignal) {
  const tools = await registry.tools(server, signal);
  const alias = (await registry.aliases()).get(server)!;
  const attrs = toolAttributeNames(tools.map((t) => t.name));
  return {
    name: server,
    alias,
    tools: tools.map((t) => ({
      name: t.name,
      attr: attrs.get(t.name)!,
      description: oneLine(t.description ?? t.title),
      params: paramNames(t.inputSchema),
      required: requiredParams(t.inputSchema),
    })),
  };
}

/** The `mcp.*` host methods. */
export function upstreamMethods(registry: UpstreamRegistry): Record<string, HostMethod> {
  return {
    ...callMethods(registry),
    "mcp.load_server": async (p, ctx) => serverMeta(registry, parse(schemas.named, p, "load_server").name, ctx.signal),

    "mcp.discovered_servers": async (p, ctx) => {
      const { detailed, loaded } = parse(schemas.discovered, p, "discovered_servers");
      const entries = await registry.entries();
      if (!detailed) return entries.map((e) => e.name);
      const aliases = await registry.aliases();
      const isLoaded = new Set([...(loaded ?? []), ...ctx.servers]);
      return entries.map((e) => publicEntry(e, aliases.get(e.name), isLoaded));
    },

    "mcp.list_tools": async (p, ctx) =>
      (await registry.tools(parse(schemas.server, p, "list_tools").server, ctx.signal)).map(toolSummary),

    "mcp.describe_server": async (p, ctx) => {
      const { name: server, loaded } = parse(schemas.named, p, "describe_server");
      const entry = await registry.entry(server);
      const aliases = await registry.aliases();
      const tools = await registry.tools(server, ctx.signal);
      const conn = registry.started(server);
      const info = conn?.serverInfo();
      return {
        ...publicEntry(entry, aliases.get(server), new Set([...(loaded ?? []), ...ctx.servers])),
        running: Boolean(info),
        server_info: info ? { name: info.name ?? null, version: info.version ?? null } : null,
        instructions: info?.instructions ?? null,
        tools: tools.map(toolSummary),
        stderr_log: conn?.stderrLog.path ?? null,
      };
    },

    "mcp.query_tool_docs": async (p, ctx) => {
      const { server, tool, detail = "summary" } = parse(schemas.query, p, "query_tool_docs");
      const full = (t: ToolDoc) => ({
        name: t.name,
        title: t.title ?? null,
        description: t.description ?? "",
        params: describeParams(t),
        inputSchema: t.inputSchema,
        outputSchema: t.outputSchema ?? null,
        annotations: t.annotations ?? null,
      });
      const summary = (t: ToolDoc) => ({ ...toolSummary(t), params: describeParams(t) });
      if (tool) {
        const t = await registry.tool(server, tool, ctx.signal);
        return detail === "full" ? full(t) : summary(t);
      }
      const tools = await registry.tools(server, ctx.signal);
      return tools.map(detail === "full" ? full : summary);
    },

    "mcp.search_tool_docs": async (p, ctx) => {
      const { query, limit = 5 } = parse(schemas.search, p, "search_tool_docs");
      return registry.search(query, limit, ctx.signal);
    },

    "mcp.capability_summary": async (p, ctx) => {
      const { loaded = [] } = parse(schemas.summary, p, "capability_summary");
      const entries = await registry.entries();
      const aliases = await registry.aliases();
      const loadedSet = new Set([...loaded, ...ctx.servers]);
      const lines = ["# Capabilities", "", "## Loaded MCP servers"];
      for (const server of [...loadedSet].sort()) {
        const tools = await registry.tools(server, ctx.signal).catch((err: Error) => err);
        const what =
          tools instanceof Error
            ? `unavailable: ${tools.message}`
            : `${tools.length} tools: ${tools
                .slice(0, 25)
                .map((t) => t.name)
                .join(", ")}${tools.length > 25 ? ", …" : ""}`;
        lines.push(`- mcp_${aliases.get(server) ?? server} (${server}): ${what}`);
      }
      if (!loadedSet.size) lines.push("- none (pass servers=[...] to run_python, or await load_server(name))");
      const others = entries.filter((e) => !loadedSet.has(e.name)).map((e) => e.name);
      lines.push("", "## Other allowed servers", others.length ? others.join(", ") : "none");
      lines.push(
        "",
        "## Helpers (async; each has a _sync twin)",
        "search_tool_docs(query, limit=5), query_tool_docs(server, tool=None, detail), list_tools(server), describe_server(name),",
        "discovered_servers(detailed=False), list_servers(), list_loaded_server_metadata(), load_server(name), call_tool(server, tool, args, on_progress=None),",
        "list_resources(server), read_resource(server, uri), mcp_<server>.<tool>.stream(...) (progress events, then .result),",
        "save_memory(key, value), load_memory(key, default=None), update_memory(key, fn), delete_memory(key), list_memories(), memory_exists(key), get_memory_info(key)",
      );
      return lines.join("\n");
    },
  };
}
