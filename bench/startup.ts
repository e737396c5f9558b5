/**
 * Benchmark: cold start of the compiled binary to its first `tools/list` answer.
 * Spawns `dist/bridge serve` 20 times, sends initialize + tools/list on stdin, and times the reply.
 * Goal: median ≤ 100 ms on the 2-core dev machine. Run: `bun bench/startup.ts [runs]`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const bin = resolve(import.meta.dir, "../dist/bridge");
const runs = Number(process.argv[2] ?? 20);
const root = mkdtempSync(join(tmpdir(), "bridge-bench-"));
// Pool off: this measures the binary's own start, not container start-up.
const env = { ...process.env, BRIDGE_ROOT: root, HOME: root, MCP_BRIDGE_POOL_SIZE: "0", MCP_BRIDGE_LOG_LEVEL: "error" };

const init = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } },
});
const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
const initialized = JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" });

async function once(): Promise<number> {
  const started = performance.now();
  const proc = Bun.spawn([bin, "serve"], { env, stdin: "pipe", stdout: "pipe", stderr: "ignore" });
  proc.stdin.write(`${init}\n${initialized}\n${list}\n`);
  proc.stdin.flush();
  let buf = "";
  for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
    buf += new TextDecoder().decode(chunk);
    if (buf.includes('"id":2')) break;
  }
  const elapsed = performance.now() - started;
  proc.stdin.end();
  await proc.exited;
  if (!buf.includes('"tools"')) throw new Error(`no tools/list answer: ${buf.slice(0, 300)}`);
  return elapsed;
}

const times: number[] = [];
await once(); // warm the page cache so "cold" means a fresh process, not a cold disk
for (let i = 0; i < runs; i++) times.push(await once());
rmSync(root, { recursive: true, force: true });
times.sort((a, b) => a - b);
const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!;
console.log(`bridge serve cold start → first tools/list answer (${runs} runs)`);
console.log(
  `  median ${pct(50).toFixed(1)} ms   p95 ${pct(95).toFixed(1)} ms   min ${times[0]!.toFixed(1)} ms   max ${times.at(-1)!.toFixed(1)} ms`,
);
console.log(`  goal ≤ 100 ms median: ${pct(50) <= 100 ? "met" : "NOT met"}`);
