/**
 * The registry with servers that misbehave (no container): hung HTTP and stdio servers do not stall
 * search, failures back off, a stale list stands in, starts are abandoned and process groups end.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isBridgeError } from "../../../src/errors.ts";
import { UpstreamRegistry } from "../../../src/upstream/registry.ts";
import { ToolCache } from "../../../src/upstream/tool-cache.ts";
import type { ServerEntry } from "../../../src/upstream/types.ts";
import {
  alive,
  HUNG_STDIO,
  hungHttpServer,
  hungShellWrapper,
  processesMatching,
  slowStartingServer,
  TASK_SERVER,
  wrapperTree,
} from "../../support/upstream-misbehaving.ts";

const bin = (name: string) => resolve("node_modules/.bin", name);
const stdio = (name: string, spec: { command: string; args?: string[] }): ServerEntry => ({
  name,
  source: "/test/.mcp.json",
  format: "claude-code",
  scope: "user",
  transport: "stdio",
  command: spec.command,
  args: spec.args ?? [],
  status: "ok",
});
const http = (name: string, url: string): ServerEntry => ({
  name,
  source: "/test/.mcp.json",
  format: "claude-code",
  scope: "user",
  transport: "http",
  url,
  status: "ok",
});

let state: string;
const registries: UpstreamRegistry[] = [];
const cleanups: Array<() => void> = [];
function makeRegistry(servers: ServerEntry[], opts: { timeoutMs?: number; searchBudgetMs?: number } = {}) {
  const r = new UpstreamRegistry({
    discover: async () => servers,
    stateDir: state,
    timeoutMs: opts.timeoutMs ?? 20_000,
    searchBudgetMs: opts.searchBudgetMs ?? 1500,
    log: { debug() {}, warn() {} },
  });
  registries.push(r);
  return r;
}
async function gone(pids: number[], ms = 3000) {
  const end = Date.now() + ms;
  while (Date.now() < end && pids.some(alive)) await Bun.sleep(50);
  return pids.filter(alive);
}

beforeEach(() => {
  state = mkdtempSync(join(tmpdir(), "bridge-misbehaving-"));
});
afterEach(async () => {
  await Promise.all(registries.splice(0).map((r) => r.closeAll()));
  for (const c of cleanups.splice(0)) c();
  rmSync(state, { recursive: true, force: true });
});

describe("search within its budget", () => {
  test("a hung HTTP and a hung stdio server: search answers in budget twice (the second fast), names them, then remembers the failure", async () => {
    const hung = hungHttpServer();
    cleanups.push(hung.stop);
    const r = makeRegistry(
      [
        http("hung-http", hung.url),
        stdio("hung-stdio", HUNG_STDIO),
        stdio("everything", { command: bin("mcp-server-everything"), args: ["stdio"] }),
      ],
      { timeoutMs: 8000, searchBudgetMs: 4000 }, // a budget everything can start in on a loaded machine
    );
    let t = Date.now();
    const first = await r.search("add two numbers", 1);
    const firstMs = Date.now() - t;
    expect(first.results[0]).toMatchObject({ server: "everything", tool: "get-sum" });
    expect(first.unavailable.map((u) => u.server)).toEqual(["hung-http", "hung-stdio"]);
    expect(first.unavailable[0]!.error).toMatch(
      /still starting after \d+ s; its tools are being listed in the background/,
    );
    expect(firstMs).toBeLessThan(4000 + 2000);
    t = Date.now();
    const second = await r.search("echo", 1);
    expect(Date.now() - t).toBeLessThan(700);
    expect(second.unavailable.map((u) => u.server)).toEqual(["hung-http", "hung-stdio"]);
    expect(hung.connections()).toBe(1); // the background listing goes on; the second search did not start another
    // Once the upstream timeout passes, the failure is remembered: search does not try again for a while.
    await Bun.sleep(8500);
    const before = hung.connections(); // closing the timed-out HTTP client may open one more
    const third = await r.search("echo", 1);
    expect(third.unavailable.find((u) => u.server === "hung-stdio")!.error).toMatch(
      /could not be listed: server hung-stdio did not answer initialize within 8s.*search tries it again in \d+ s/s,
    );
    expect(third.unavailable.find((u) => u.server === "hung-http")!.error).toMatch(
      /could not be listed: .*search tries it again in \d+ s/s,
    );
    expect(hung.connections()).toBe(before);
    expect(processesMatching("/bin/sleep 600")).toEqual([]);
  }, 60_000);

  test("a slow server's list arrives in the background; a stale list stands in while a changed config cannot be listed", async () => {
    const slow = stdio("slow", slowStartingServer(2500));
    const cache = new ToolCache(join(state, "tool-cache"));
    // A list saved under an older configuration of the same name.
    cache.write({ ...slow, args: ["old"] }, [
      { name: "old_tool", description: "A tool from before", inputSchema: { type: "object" } },
    ]);
    const r = makeRegistry([slow], { searchBudgetMs: 800 });
    const first = await r.search("tool from before", 3);
    expect(first.results.map((h) => h.tool)).toEqual(["old_tool"]);
    expect(first.stale).toEqual([
      { server: "slow", saved_at: expect.any(String), reason: expect.stringMatching(/still starting/) },
    ]);
    await Bun.sleep(3500);
    const later = await r.search("server pid", 3);
    expect(later.stale).toEqual([]);
    expect(later.results[0]).toMatchObject({ server: "slow", tool: "whoami" });
    expect(r.started("slow")?.active).toBeFalsy(); // started only to index it: stopped again
  }, 30_000);
});

describe("no orphans", () => {
  test("closing during a start ends the whole process group, grandchildren of sh -c included", async () => {
    const marker = `bridge-orphan-${process.pid}-${Date.now()}`;
    const r = makeRegistry([stdio("wrapper", hungShellWrapper(marker))]);
    void r.tools("wrapper").catch(() => {});
    const end = Date.now() + 3000;
    while (Date.now() < end && wrapperTree(marker).length < 3) await Bun.sleep(50);
    const pids = wrapperTree(marker);
    expect(pids.length).toBe(3);
    await r.closeAll();
    expect(await gone(pids)).toEqual([]);
  }, 20_000);

  test("a start whose only caller was cancelled is abandoned and its group ended; a shared start survives one cancel", async () => {
    const marker = `bridge-cancel-${process.pid}-${Date.now()}`;
    const r = makeRegistry([stdio("wrapper", hungShellWrapper(marker))]);
    const a = new AbortController();
    const b = new AbortController();
    const first = r.tools("wrapper", a.signal).catch((e) => e);
    const second = r.tools("wrapper", b.signal).catch((e) => e);
    const end = Date.now() + 3000;
    while (Date.now() < end && wrapperTree(marker).length < 3) await Bun.sleep(50);
    const pids = wrapperTree(marker);
    a.abort();
    expect(isBridgeError(await first, "CANCELLED")).toBe(true);
    await Bun.sleep(300);
    expect(pids.filter(alive).length).toBe(3); // the other caller still waits
    b.abort();
    expect(isBridgeError(await second, "CANCELLED")).toBe(true);
    expect(await gone(pids)).toEqual([]);
  }, 20_000);
});

describe("task-only tools", () => {
  test("run through the task API with status updates; a task that never ends times out with bridge's error and is cancelled", async () => {
    const r = makeRegistry([stdio("tasks", TASK_SERVER)], { timeoutMs: 2500 });
    const statuses: string[] = [];
    const res = await r.call(
      "tasks",
      "report",
      { steps: 3 },
      { onStatus: (t) => statuses.push(`${t.status}: ${t.statusMessage ?? ""}`) },
    );
    expect(JSON.stringify(res.content)).toContain("report done in 3 stages");
    expect(statuses).toContain("working: stage 3 of 3");
    const err = await r.call("tasks", "stuck", {}).catch((e) => e);
    expect(isBridgeError(err, "TIMEOUT")).toBe(true);
    expect(err.message).toMatch(/^server tasks: task tool stuck made no progress for 3s \(task .+ cancelled\)/);
    await Bun.sleep(300);
    const cancelled = await r.call("tasks", "was_cancelled", {});
    expect(JSON.stringify(cancelled.content)).toContain('"1"');
  }, 30_000);
});
