/**
 * Attack (issue 9, "Secrets", on issue 14's new paths): a server URL with a key (`?apiKey=…`) leaks
 * into what sandboxed code and the model see through the paths the proxies gained: a failing
 * `read_resource`, search's "could not be listed" reason, upstream progress messages (to Python and
 * to the outer client) and a task-only tool's status messages, and into bridge's log. The server
 * (test/support/upstream-leaky-http.ts) repeats the URL it was reached by, and the key, in every
 * text it sends; a second entry with a key points at a closed port. The key never comes through.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallOrigin } from "../../src/sandbox/extension.ts";
import { upstreamMethods } from "../../src/upstream/methods.ts";
import { UpstreamRegistry } from "../../src/upstream/registry.ts";
import type { ServerEntry } from "../../src/upstream/types.ts";
import { startLeakyServer, type LeakyServer } from "../support/upstream-leaky-http.ts";

const KEY = "qk7Hd92LmZp41XwR";
const KEY2 = "zz8Rt55NbVc13QaE";
const state = mkdtempSync(join(tmpdir(), "bridge-secrets-paths-"));
const logs: string[] = [];
const progress: string[] = [];
let leaky: LeakyServer;
let registry: UpstreamRegistry;
let closedPort = 0;

const entry = (name: string, url: string): ServerEntry => ({
  name,
  source: "/h/.cursor/mcp.json",
  format: "cursor",
  scope: "user",
  transport: "http",
  url,
  status: "ok",
});
const origin: CallOrigin = {
  request: async () => ({}),
  progress: (message) => void progress.push(message),
};
const ctx = () => ({ signal: new AbortController().signal, servers: [], origin });

beforeAll(async () => {
  leaky = await startLeakyServer(KEY);
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  closedPort = probe.port!;
  probe.stop(true);
  registry = new UpstreamRegistry({
    discover: async () => [
      entry("leaky", leaky.url),
      entry("refused", `http://127.0.0.1:${closedPort}/mcp?apiKey=${KEY2}`),
    ],
    stateDir: state,
    timeoutMs: 10_000,
    searchBudgetMs: 5000,
    log: { debug: (m) => void logs.push(m), warn: (m) => void logs.push(m) },
  });
});

afterAll(async () => {
  await registry?.closeAll();
  await leaky?.stop();
  rmSync(state, { recursive: true, force: true });
});

const clean = (text: string) => {
  expect(text).not.toContain(KEY);
  expect(text).not.toContain(KEY2);
};

describe("a server URL's key never reaches sandboxed code, the client or the log through the new helpers", () => {
  test("a failing read_resource names the resource and the masked URL, never the key", async () => {
    const mcp = upstreamMethods(registry);
    const listed = (await mcp["mcp.list_resources"]!({ server: "leaky" }, ctx())) as Array<{ uri: string }>;
    expect(listed.map((r) => r.uri)).toEqual(["leaky://doc"]);
    const err = (await mcp["mcp.read_resource"]!({ server: "leaky", uri: "leaky://doc" }, ctx()).catch(
      (e) => e,
    )) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain("cannot read leaky://doc");
    expect(err.message).toContain("apiKey=***");
    clean(err.message);
  }, 30_000);

  test("search names the server it could not list, with a masked reason", async () => {
    const mcp = upstreamMethods(registry);
    const r = (await mcp["mcp.search_tool_docs"]!({ query: "work progress" }, ctx())) as {
      results: Array<{ server: string }>;
      unavailable: Array<{ server: string; error: string }>;
    };
    expect(r.results.some((h) => h.server === "leaky")).toBe(true);
    const refused = r.unavailable.find((u) => u.server === "refused");
    expect(refused?.error).toContain("could not be listed");
    expect(refused?.error).toContain("apiKey=***");
    clean(JSON.stringify(r));
  }, 30_000);

  test("progress messages reach Python and the client masked", async () => {
    const mcp = upstreamMethods(registry);
    progress.length = 0;
    const c = ctx();
    const { call } = (await mcp["mcp.call_start"]!({ server: "leaky", tool: "work", args: {} }, c)) as { call: string };
    const events: Array<{ message: string | null }> = [];
    for (;;) {
      const step = (await mcp["mcp.call_next"]!({ call }, c)) as {
        events: Array<{ message: string | null }>;
        done: boolean;
      };
      events.push(...step.events);
      if (step.done) break;
    }
    expect(events.map((e) => e.message)).toEqual([
      expect.stringContaining("step 1 reached at"),
      expect.stringContaining("step 2 reached at"),
    ]);
    expect(progress).toHaveLength(2);
    for (const text of [JSON.stringify(events), ...progress]) {
      expect(text).toContain("(key ***)");
      clean(text);
    }
  }, 30_000);

  test("a task-only tool's status messages are masked", async () => {
    const mcp = upstreamMethods(registry);
    progress.length = 0;
    const c = ctx();
    const { call } = (await mcp["mcp.call_start"]!({ server: "leaky", tool: "job", args: {} }, c)) as { call: string };
    const events: Array<{ status: string | null; message: string | null }> = [];
    for (;;) {
      const step = await (
        mcp["mcp.call_next"]!({ call }, c) as Promise<{ events: typeof events; done: boolean }>
      ).catch((e: Error) => ({ events: [], done: true, error: e }));
      events.push(...step.events);
      if ("error" in step) clean((step.error as Error).message);
      if (step.done) break;
    }
    expect(events.some((e) => e.status === "working" && e.message?.includes("working reached at"))).toBe(true);
    for (const text of [JSON.stringify(events), ...progress]) clean(text);
  }, 30_000);

  test("nothing bridge logged carries a key", () => {
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) clean(line);
  });
});
