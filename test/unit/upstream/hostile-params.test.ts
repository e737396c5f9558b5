/** Host methods get parameters from sandboxed code: junk must give clear errors, never crash or escape. */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isBridgeError } from "../../../src/errors.ts";
import { memoryMethods } from "../../../src/memory/extension.ts";
import { MemoryStore } from "../../../src/memory/store.ts";
import { upstreamExtension } from "../../../src/upstream/extension.ts";
import { upstreamMethods } from "../../../src/upstream/methods.ts";
import { UpstreamRegistry } from "../../../src/upstream/registry.ts";

const state = mkdtempSync(join(tmpdir(), "bridge-hostile-"));
afterAll(() => rmSync(state, { recursive: true, force: true }));
const registry = new UpstreamRegistry({
  discover: async () => [
    {
      name: "srv",
      source: "/t",
      format: "t",
      scope: "user",
      transport: "stdio",
      command: "/nonexistent/srv",
      env: { TOKEN: "s3cret" },
      args: ["--key", "s3cret"],
      status: "ok",
    },
  ],
  stateDir: state,
  timeoutMs: 2000,
  log: { debug() {}, warn() {} },
});
const ctx = { signal: new AbortController().signal, servers: [] };
const mcp = upstreamMethods(registry);
const mem = memoryMethods(new MemoryStore({ dir: join(state, "memory") }));

async function errorOf(p: Promise<unknown>) {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeDefined();
  expect(isBridgeError(err)).toBe(true);
  return err as Error;
}

describe("mcp.* methods", () => {
  test("junk parameters are usage errors naming the helper", async () => {
    for (const params of [null, 42, "x", [], { server: 1 }, { server: "" }, { server: "x".repeat(1000) }]) {
      expect((await errorOf(mcp["mcp.list_tools"]!(params, ctx))).message).toStartWith("list_tools:");
    }
    expect((await errorOf(mcp["mcp.call_tool"]!({ server: "srv", tool: "t", args: [1] }, ctx))).message).toStartWith(
      "call_tool:",
    );
    expect((await errorOf(mcp["mcp.search_tool_docs"]!({ query: "x", limit: 1e9 }, ctx))).message).toStartWith(
      "search_tool_docs:",
    );
    expect(
      (await errorOf(mcp["mcp.query_tool_docs"]!({ server: "srv", detail: "everything" }, ctx))).message,
    ).toStartWith("query_tool_docs:");
  });

  test("server names are looked up, never used as paths", async () => {
    for (const name of ["../../etc/passwd", "__proto__", "constructor", "srv\0"]) {
      const err = await errorOf(mcp["mcp.load_server"]!({ name }, ctx));
      expect(err.message).toContain("unknown MCP server");
      expect(err.message).toContain("available: srv");
    }
  });

  test("server details never include env, args or header values", async () => {
    const detailed = (await mcp["mcp.discovered_servers"]!({ detailed: true }, ctx)) as object[];
    expect(JSON.stringify(detailed)).not.toContain("s3cret");
    expect(Object.keys(detailed[0]!).sort()).toEqual([
      "alias",
      "command",
      "format",
      "loaded",
      "name",
      "source",
      "transport",
      "url",
    ]);
  });

  test("a server URL is shown to sandboxed code only by its origin (hosted endpoints put keys in the path)", async () => {
    const hosted = new UpstreamRegistry({
      discover: async () => [
        {
          name: "zap",
          source: "/t",
          format: "t",
          scope: "user",
          transport: "http",
          url: "https://mcp.zapier.com/api/mcp/s/abc123def456ghi789/mcp?key=k",
          status: "ok",
        },
      ],
      stateDir: state,
      timeoutMs: 2000,
      log: { debug() {}, warn() {} },
    });
    const detailed = (await upstreamMethods(hosted)["mcp.discovered_servers"]!({ detailed: true }, ctx)) as Array<{
      url: string;
    }>;
    expect(detailed[0]!.url).toBe("https://mcp.zapier.com/…");
  });

  test("a server that cannot start fails prepare with a clear message", async () => {
    const err = await errorOf(upstreamExtension(registry).prepare({ servers: ["srv"] }, ctx.signal));
    expect(err.message).toContain("server srv could not start");
    expect(err.message).not.toContain("s3cret");
  });
});

describe("memory.* methods", () => {
  test("junk keys and parameters", async () => {
    for (const key of ["../x", "/etc/passwd", "a/../../b", ".", "", "x".repeat(200), "a\nb"]) {
      expect((await errorOf(mem["memory.save"]!({ key, value: 1 }, ctx))).message).toContain("invalid memory key");
    }
    expect((await errorOf(mem["memory.load"]!({ key: 5 }, ctx))).message).toStartWith("load_memory:");
    expect((await errorOf(mem["memory.commit_update"]!({ token: "not-a-token", value: 1 }, ctx))).message).toContain(
      "unknown or expired",
    );
    expect(existsSync(join(state, "x.json"))).toBe(false);
  });
});
