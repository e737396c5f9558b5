/**
 * Attack (issue 9 trust rules, on issue 14's new paths): a server discovery marks as not usable is
 * started through a helper the proxies gained: search's background listing and its stale-list
 * fallback, `list_resources`, `read_resource`, `call_tool` (plain, streamed with progress, or as a
 * task), `describe_server`, `query_tool_docs`, `capability_summary`. Every server here is a marker
 * server (test/support/marker-server.ts: writes `<name>.started` the moment it runs); each blocked
 * one also has a tool list in the disk cache from an earlier, approved time, which must not bring
 * it back into search. Roots changes and sampling/elicitation forwarding act only on connections
 * already started, so they have nothing to start. The host methods are driven directly (the
 * sandbox adds nothing here); test/security/discovery-never-started.test.ts does the same through
 * the compiled serve and a container. Also: the refusal says why and what the user can do, except
 * for a server bridge's own allow/deny policy excludes, which stays unknown (name included).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isBridgeError } from "../../src/errors.ts";
import { upstreamMethods } from "../../src/upstream/methods.ts";
import { UpstreamRegistry } from "../../src/upstream/registry.ts";
import { ToolCache } from "../../src/upstream/tool-cache.ts";
import type { ServerEntry, ServerStatus } from "../../src/upstream/types.ts";

const MARKER = resolve(import.meta.dir, "../support/marker-server.ts");
const dir = mkdtempSync(join(tmpdir(), "bridge-gating-"));
const markers = join(dir, "markers");
const state = join(dir, "state");

const server = (name: string, status: ServerStatus, extra: Partial<ServerEntry> = {}): ServerEntry => ({
  name,
  source: "/p/.mcp.json",
  format: "claude-code",
  scope: "project",
  transport: "stdio",
  command: process.execPath,
  args: [MARKER, markers, name],
  env: { NOTES_TOKEN: "tok-9f8e7d6c5b4a" },
  status,
  ...extra,
});
const BLOCKED: ServerEntry[] = [
  server("pending", "pending-approval", {
    reason: "project-level server in .mcp.json, not approved",
    approve: 'run `claude` in /p and approve "pending" when asked',
  }),
  server("off", "disabled", { reason: "listed in disabledMcpServers" }),
  server("not-allowed", "denied", {
    reason: "not in MCP_BRIDGE_ALLOW_SERVERS (this definition: not-allowed@claude-code:project)",
  }),
  server("excluded", "excluded", { reason: "in Gemini CLI's mcp.excluded" }),
  server("leaks", "command-not-found", { reason: "command tok-9f8e7d6c5b4a not found" }),
];
const EXPECTED: Record<string, RegExp> = {
  pending: /is pending approval \(project-level server in \.mcp\.json, not approved\)/,
  off: /is disabled \(listed in disabledMcpServers\)/,
  excluded: /is excluded by its client's own policy/,
  leaks: /cannot start: its command was not found/,
};

let registry: UpstreamRegistry;
const ctx = () => ({ signal: new AbortController().signal, servers: [] as string[] });
const started = () =>
  readdirSync(markers)
    .map((f) => f.replace(/\.started$/, ""))
    .sort();

beforeAll(() => {
  mkdirSync(markers, { recursive: true });
  const cache = new ToolCache(join(state, "tool-cache"));
  for (const e of BLOCKED)
    cache.write({ ...e, status: "ok" }, [
      {
        name: `marker_${e.name.replace(/-/g, "_")}`,
        description: "A marker tool from an earlier, approved time",
        inputSchema: { type: "object" },
      },
    ]);
  registry = new UpstreamRegistry({
    discover: async () => [server("user-ok", "ok"), ...BLOCKED],
    stateDir: state,
    timeoutMs: 20_000,
    searchBudgetMs: 15_000,
    log: { debug() {}, warn() {} },
  });
});
afterAll(async () => {
  await registry?.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

describe("servers discovery marks as not usable are never started by the proxies' helpers", () => {
  test("search lists only the usable server, with no stale list of a blocked one", async () => {
    const r = (await upstreamMethods(registry)["mcp.search_tool_docs"]!(
      { query: "marker tool", limit: 50 },
      ctx(),
    )) as {
      results: Array<{ server: string }>;
      unavailable: unknown[];
      stale: unknown[];
    };
    expect([...new Set(r.results.map((h) => h.server))]).toEqual(["user-ok"]);
    expect(r.unavailable).toEqual([]);
    expect(r.stale).toEqual([]);
    expect(started()).toEqual(["user-ok"]);
  }, 60_000);

  test("every helper refuses each blocked server, naming its status and the user's next step, without secrets", async () => {
    const mcp = upstreamMethods(registry);
    const attempts: Array<[string, Record<string, unknown>]> = [];
    for (const { name } of BLOCKED) {
      attempts.push(
        ["mcp.load_server", { name }],
        ["mcp.list_tools", { server: name }],
        ["mcp.describe_server", { name }],
        ["mcp.query_tool_docs", { server: name }],
        ["mcp.list_resources", { server: name }],
        ["mcp.read_resource", { server: name, uri: "file:///etc/passwd" }],
        ["mcp.call_tool", { server: name, tool: "marker_x", args: {} }],
        ["mcp.call_start", { server: name, tool: "marker_x", args: {} }],
      );
    }
    for (const [method, params] of attempts) {
      const name = (params.name ?? params.server) as string;
      const denied = name === "not-allowed";
      let err: unknown;
      try {
        const r = await mcp[method]!(params, ctx());
        // call_start answers at once; its failure comes with the first call_next.
        if (method === "mcp.call_start") await mcp["mcp.call_next"]!(r, ctx());
      } catch (e) {
        err = e;
      }
      expect(isBridgeError(err, "SERVER_UNKNOWN"), `${method} ${name}`).toBe(true);
      const e = err as Error & { hint?: string };
      if (denied) {
        // bridge's own policy keeps a server unknown to sandboxed code, name included.
        expect(e.message).toBe('unknown MCP server "not-allowed"; available: user-ok');
      } else {
        expect(e.message).toStartWith(`MCP server "${name}" is not available: it `);
        expect(e.message).toMatch(EXPECTED[name]!);
      }
      expect(`${e.message} ${e.hint}`).not.toContain("tok-9f8e7d6c5b4a");
    }
    const summary = (await mcp["mcp.capability_summary"]!({ loaded: BLOCKED.map((b) => b.name) }, ctx())) as string;
    for (const { name } of BLOCKED.filter((b) => b.status !== "denied"))
      expect(summary).toContain(`(${name}): unavailable: MCP server "${name}" is not available`);
    expect(summary).toContain('(not-allowed): unavailable: unknown MCP server "not-allowed"');
    expect(started()).toEqual(["user-ok"]);
  }, 60_000);

  test("the next step is the user's: the approval command or the client; bridge's own policy keeps a server unknown", async () => {
    const hint = async (name: string) => ((await registry.entry(name).catch((e) => e)) as { hint: string }).hint;
    expect(await hint("pending")).toContain(
      'Only the user can approve it: run `claude` in /p and approve "pending" when asked',
    );
    expect(await hint("off")).toContain("enable it in the client that defines it (claude-code, /p/.mcp.json)");
    expect(((await registry.entry("not-allowed").catch((e) => e)) as Error).message).toStartWith(
      'unknown MCP server "not-allowed"',
    );
    const unknown = (await registry.entry("nobody").catch((e) => e)) as Error;
    expect(unknown.message).toContain('unknown MCP server "nobody"; available: user-ok');
    expect(started()).toEqual(["user-ok"]);
  });
});
