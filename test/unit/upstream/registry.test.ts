/** The registry against real MCP servers from node_modules (stdio, no container). */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isBridgeError } from "../../../src/errors.ts";
import { UpstreamRegistry } from "../../../src/upstream/registry.ts";
import { ToolCache } from "../../../src/upstream/tool-cache.ts";
import type { ServerEntry } from "../../../src/upstream/types.ts";
import { bin, stdioEntry } from "../../support/upstream-servers.ts";

const entry = stdioEntry;

let state: string;
let data: string;
const registries: UpstreamRegistry[] = [];
const quiet = { debug() {}, warn() {} };

function makeRegistry(servers: ServerEntry[], timeoutMs = 20_000) {
  const r = new UpstreamRegistry({ discover: async () => servers, stateDir: state, timeoutMs, log: quiet });
  registries.push(r);
  return r;
}

beforeEach(() => {
  state = mkdtempSync(join(tmpdir(), "bridge-upstream-"));
  data = mkdtempSync(join(tmpdir(), "bridge-upstream-data-"));
});
afterEach(async () => {
  await Promise.all(registries.splice(0).map((r) => r.closeAll()));
  rmSync(state, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
});

describe("UpstreamRegistry with real servers", () => {
  test("search across servers, tool cache reused by a later process without starting servers", async () => {
    const servers = [
      entry("everything", bin("mcp-server-everything"), ["stdio"]),
      entry("files", bin("mcp-server-filesystem"), [data]),
    ];
    const first = makeRegistry(servers);
    const { results, unavailable } = await first.search("read text file contents", 3);
    expect(unavailable).toEqual([]);
    expect(results[0]).toMatchObject({ server: "files", tool: "read_text_file" });
    expect(results[0]!.description.length).toBeLessThanOrEqual(160);
    const cached = readdirSync(join(state, "tool-cache"));
    expect(cached.filter((f) => !f.startsWith("name-")).length).toBe(2); // one per configuration
    expect(cached.filter((f) => f.startsWith("name-")).length).toBe(2); // the last list per server name (stale fallback)
    expect(first.started("files")).toBeUndefined(); // started only to index: stopped again

    const later = makeRegistry(servers);
    const again = await later.search("sum of two numbers", 1);
    expect(again.results[0]).toMatchObject({ server: "everything", tool: "get-sum" });
    expect(later.started("everything")?.pid).toBeUndefined();
  });

  test("calls a tool; bad arguments name the expected parameters; unknown server lists names", async () => {
    const r = makeRegistry([entry("everything", bin("mcp-server-everything"), ["stdio"])]);
    const res = await r.call("everything", "get-sum", { a: 2, b: 3 });
    expect(JSON.stringify(res.content)).toContain("5");
    await expect(r.call("everything", "get-sum", { a: 2 })).rejects.toThrow(
      /missing required parameter b.*Expected parameters: a \(number, required\), b \(number, required\)/,
    );
    await expect(r.call("everything", "nope", {})).rejects.toThrow(/has no tool "nope"; its tools: .*echo/);
    const err = await r.call("missing", "x", {}).catch((e) => e);
    expect(isBridgeError(err, "SERVER_UNKNOWN")).toBe(true);
    expect(err.message).toContain('unknown MCP server "missing"; available: everything');
  });

  test("a killed server fails the call in flight with its exit, and the next call restarts it", async () => {
    const r = makeRegistry([entry("everything", bin("mcp-server-everything"), ["stdio"])]);
    await r.call("everything", "echo", { message: "hi" });
    const conn = r.started("everything")!;
    const pid = conn.pid!;
    expect(pid).toBeGreaterThan(0);
    const slow = r.call("everything", "trigger-long-running-operation", { duration: 10, steps: 2 }).catch((e) => e);
    await Bun.sleep(300);
    process.kill(pid, "SIGKILL");
    const err = await slow;
    expect(isBridgeError(err, "UPSTREAM_FAILED")).toBe(true);
    expect(err.message).toMatch(/^server everything exited \(signal SIGKILL\)/);
    const res = await r.call("everything", "echo", { message: "again" });
    expect(JSON.stringify(res.content)).toContain("again");
    expect(conn.pid).not.toBe(pid);
    expect(readFileSync(conn.stderrLog.path, "utf8")).toContain("starting everything");
  });

  test("a stale cached tool list is replaced once a call starts the server", async () => {
    const e = entry("everything", bin("mcp-server-everything"), ["stdio"]);
    const cache = new ToolCache(join(state, "tool-cache"));
    cache.write(e, [
      {
        name: "echo",
        inputSchema: { type: "object", properties: { message: { type: "string" } }, required: ["message"] },
      },
    ]);
    const r = makeRegistry([e]);
    expect((await r.tools("everything")).map((t) => t.name)).toEqual(["echo"]);
    await r.call("everything", "echo", { message: "hi" });
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (cache.read(e)?.length ?? 0) < 2) await Bun.sleep(50);
    expect(cache.read(e)!.map((t) => t.name)).toContain("get-sum");
  });

  test("progress notifications restart the timeout", async () => {
    // A progress step every 0.5 s against a 2.5 s timeout, for 6 s: only restarts keep the call alive.
    const r = makeRegistry([entry("everything", bin("mcp-server-everything"), ["stdio"])], 2500);
    await r.tools("everything"); // started first: the timeout is meant for the call, not npm's start-up under load
    const res = await r.call("everything", "trigger-long-running-operation", { duration: 6, steps: 12 });
    expect(JSON.stringify(res.content)).toContain("completed");
  }, 30_000);

  test("per-call timeout", async () => {
    const r = makeRegistry([entry("everything", bin("mcp-server-everything"), ["stdio"])], 1500);
    const err = await r.call("everything", "trigger-long-running-operation", { duration: 5, steps: 1 }).catch((e) => e);
    expect(isBridgeError(err, "TIMEOUT")).toBe(true);
    expect(err.message).toContain("did not answer tools/call trigger-long-running-operation within");
  });

  test("a command that does not exist gives a clear error; search reports it as unavailable", async () => {
    const r = makeRegistry([
      entry("ghost", join(data, "no-such-binary")),
      entry("everything", bin("mcp-server-everything"), ["stdio"]),
    ]);
    const err = await r.tools("ghost").catch((e) => e);
    expect(isBridgeError(err, "UPSTREAM_FAILED")).toBe(true);
    expect(err.message).toContain("server ghost could not start");
    const s = await r.search("echo", 1);
    expect(s.results[0]).toMatchObject({ server: "everything", tool: "echo" });
    expect(s.unavailable.map((u) => u.server)).toEqual(["ghost"]);
  });

  test("a server that exits at once reports its stderr", async () => {
    const script = join(data, "dies.sh");
    await Bun.write(script, "#!/bin/sh\necho 'fatal: missing API key' >&2\nexit 3\n");
    Bun.spawnSync(["chmod", "+x", script]);
    const r = makeRegistry([entry("dies", script)], 5000);
    const err = await r.tools("dies").catch((e) => e);
    expect(err.message).toContain("server dies");
    expect(err.message).toContain("fatal: missing API key");
  });

  test("closeAll ends server processes", async () => {
    const r = makeRegistry([entry("everything", bin("mcp-server-everything"), ["stdio"])]);
    await r.tools("everything", undefined, { live: true });
    const pid = r.started("everything")!.pid!;
    await r.closeAll();
    await Bun.sleep(100);
    expect(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ")).toBe(false);
  });
});
