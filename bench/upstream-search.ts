/**
 * Benchmark: search_tool_docs over many servers. Measures (1) the first search of a process when
 * every tool list is in the disk cache (the normal case after the first run) and (2) repeated
 * searches, for N servers × the 13 tools of server-everything. Also (3) one cold search that has to
 * start real servers. Goal: cached search over 100 servers < 50 ms. Run: `bun bench/upstream-search.ts [N]`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UpstreamRegistry } from "../src/upstream/registry.ts";
import type { ServerEntry } from "../src/upstream/types.ts";

const n = Number(process.argv[2] ?? 100);
const state = mkdtempSync(join(tmpdir(), "bridge-bench-search-"));
const log = { debug() {}, warn() {} };
const entries: ServerEntry[] = Array.from({ length: n }, (_, i) => ({
  name: `srv-${i}`,
  source: "/bench",
  format: "bench",
  scope: "user",
  transport: "stdio",
  command: resolve("node_modules/.bin/mcp-server-everything"),
  args: ["stdio", `--bench-${i}`],
  status: "ok",
}));
const make = (list = entries) =>
  new UpstreamRegistry({ discover: async () => list, stateDir: state, timeoutMs: 30_000, log });

try {
  // Cold: start 4 real servers to fill their cache entries (timed), then copy the list to the rest.
  const cold = make(entries.slice(0, 4));
  let t = performance.now();
  await cold.search("sum of two numbers", 5);
  console.log(`cold search, 4 servers started: ${Math.round(performance.now() - t)} ms`);
  const tools = await cold.tools("srv-0");
  await cold.closeAll();
  const { ToolCache } = await import("../src/upstream/tool-cache.ts");
  const cache = new ToolCache(join(state, "tool-cache"));
  for (const e of entries) cache.write(e, tools);

  const warm = make();
  t = performance.now();
  await warm.search("sum of two numbers", 5);
  console.log(`first search, ${n} servers from disk cache: ${(performance.now() - t).toFixed(1)} ms`);
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    t = performance.now();
    await warm.search(i % 2 ? "echo a message" : "long running operation progress", 5);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(
    `repeated search, ${n} servers (${n * tools.length} tools): median ${times[10]!.toFixed(1)} ms, max ${times[19]!.toFixed(1)} ms`,
  );
  await warm.closeAll();
} finally {
  rmSync(state, { recursive: true, force: true });
}
