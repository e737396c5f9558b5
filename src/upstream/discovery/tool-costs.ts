/**
 * `bridge discover --tools` arithmetic: lists each usable server's tools (in parallel, each with
 * a deadline), prices its tool schemas in o200k tokens the way a client would see them, and
 * compares the total with what bridge's own tools/list costs.
 */
import type { ServerEntry } from "../types.ts";

/** A tool as tools/list returns it; only the parts a client puts in the model's context. */
export interface ToolListing {
  name: string;
  description?: string;
  inputSchema: unknown;
}

/** Connects to one server and returns all its tools; must stop when `signal` aborts. */
export type ListTools = (server: ServerEntry, signal: AbortSignal) => Promise<ToolListing[]>;

export interface ServerToolCost {
  name: string;
  /** Number of tools, or undefined when the server could not be listed. */
  tools?: number;
  /** o200k tokens of the server's tool schemas. */
  tokens?: number;
  error?: string;
  ms: number;
}

export interface ToolCostReport {
  servers: ServerToolCost[];
  /** Sum of `tokens` over the servers that answered. */
  totalTokens: number;
  /** What bridge's own tools/list costs. */
  bridgeTokens: number;
  /** The same, per tool of bridge (in tools/list order). */
  bridgeByTool: Array<{ name: string; tokens: number }>;
  /** totalTokens − bridgeTokens: what a client saves by reaching these servers through bridge. */
  savedTokens: number;
}

/** o200k tokens of a tool list: per tool, the JSON of {name, description, inputSchema}. */
export function toolSchemaTokens(tools: readonly ToolListing[], countTokens: (text: string) => number): number {
  let total = 0;
  for (const tool of tools)
    total += countTokens(
      JSON.stringify({ name: tool.name, description: tool.description, inputSchema: tool.inputSchema }),
    );
  return total;
}

/** Runs `fn` with a signal that aborts after `ms`; rejects with a timeout error at the deadline. */
export async function withDeadline<T>(ms: number, what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`${what} did not answer within ${Math.round(ms / 1000)} s`));
    }, ms);
  });
  try {
    return await Promise.race([fn(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/** Runs `fn` over `items` with at most `limit` at a time; results keep the input order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Lists and prices every server's tools (`concurrency` at a time, default 8); one failing server is reported, not fatal. */
export async function measureToolCosts(
  servers: readonly ServerEntry[],
  deps: {
    listTools: ListTools;
    countTokens: (text: string) => number;
    bridgeTools: ToolListing[];
    timeoutMs: number;
    concurrency?: number;
    now?: () => number;
  },
): Promise<ToolCostReport> {
  const now = deps.now ?? (() => performance.now());
  const results = await mapLimited(
    servers,
    Math.max(1, deps.concurrency ?? 8),
    async (server): Promise<ServerToolCost> => {
      const started = now();
      try {
        const tools = await withDeadline(deps.timeoutMs, `server "${server.name}"`, (signal) =>
          deps.listTools(server, signal),
        );
        return {
          name: server.name,
          tools: tools.length,
          tokens: toolSchemaTokens(tools, deps.countTokens),
          ms: Math.round(now() - started),
        };
      } catch (err) {
        return { name: server.name, error: (err as Error).message, ms: Math.round(now() - started) };
      }
    },
  );
  const totalTokens = results.reduce((sum, r) => sum + (r.tokens ?? 0), 0);
  const bridgeByTool = deps.bridgeTools.map((t) => ({ name: t.name, tokens: toolSchemaTokens([t], deps.countTokens) }));
  const bridgeTokens = bridgeByTool.reduce((sum, t) => sum + t.tokens, 0);
  return { servers: results, totalTokens, bridgeTokens, bridgeByTool, savedTokens: totalTokens - bridgeTokens };
}
