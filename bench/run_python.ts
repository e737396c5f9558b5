/**
 * Benchmark: latency of run_python `print(1)` through the SDK Client against dist/bridge, paced like
 * an agent (one call every ~600 ms) and in a burst (back to back, then 8 at once), versus a naive
 * fresh `ENGINE run --rm IMAGE python3 -c 'print(1)'` per call with the same hardening flags.
 * Goal: paced p50 ≤ 20 ms and ≥ 20× faster than naive. Then the data-science rows (issue 11), with
 * the datascience image, paced, each side by side with a cold run (MCP_BRIDGE_WARM_IMPORTS empty):
 * a pandas describe() (goal p50 ≤ 30 ms) and a matplotlib line chart returned as an image (≤ 60 ms).
 * Prints tables; writes nothing to the repo.
 *
 *   bun bench/run_python.ts [calls=20]   (env: MCP_BRIDGE_ENGINE, MCP_BRIDGE_IMAGE, MCP_BRIDGE_POOL_SIZE,
 *                                         BENCH_DATA_IMAGE (default localhost/bridge-datascience:latest; "" skips the data rows),
 *                                         BENCH_BIN (default dist/bridge; another build, to compare side by side),
 *                                         BENCH_ONLY=data (only the data-science rows))
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadConfig } from "../src/config/index.ts";
import { buildRunArgv } from "../src/sandbox/argv.ts";
import { defaultEngineDeps, detectEngine } from "../src/sandbox/engine.ts";
import { hostRlimits } from "../src/sandbox/rlimits.ts";

const calls = Number(process.argv[2] ?? 20);
const bin = resolve(process.env.BENCH_BIN || resolve(import.meta.dir, "../dist/bridge"));
const root = mkdtempSync(join(tmpdir(), "bridge-bench-"));
const env: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
Object.assign(env, { BRIDGE_ROOT: root, HOME: root, MCP_BRIDGE_LOG_LEVEL: "warn" });
env.MCP_BRIDGE_IMAGE ??= "localhost/bridge-python:latest";

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const rows: Array<{ mode: string; xs: number[] }> = [];
const f = (n: number) => n.toFixed(1).padStart(8);

const config = loadConfig({ env });
const engine = await detectEngine(config, defaultEngineDeps());

if (process.env.BENCH_ONLY !== "data") await printRows();

async function printRows() {
  const transport = new StdioClientTransport({ command: bin, args: ["serve"], env, stderr: "inherit" });
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(transport);
  async function call(): Promise<number> {
    const t = performance.now();
    const r = (await client.callTool({ name: "run_python", arguments: { code: "print(1)" } })) as {
      structuredContent?: { output: string };
    };
    const ms = performance.now() - t;
    if (r.structuredContent?.output !== "1\n") throw new Error(`unexpected result: ${JSON.stringify(r)}`);
    return ms;
  }

  await call(); // engine detection + first container
  await Bun.sleep(3000); // let the pool fill
  const paced: number[] = [];
  for (let i = 0; i < calls; i++) {
    paced.push(await call());
    await Bun.sleep(600);
  }
  rows.push({ mode: "paced (1 call / 600 ms)", xs: paced });
  await Bun.sleep(3000);
  const burst: number[] = [];
  for (let i = 0; i < calls; i++) burst.push(await call());
  rows.push({ mode: "burst (back to back)", xs: burst });
  await Bun.sleep(3000);
  const parallel: number[] = [];
  for (let round = 0; round < Math.max(1, Math.floor(calls / 8)); round++) {
    parallel.push(...(await Promise.all(Array.from({ length: 8 }, () => call()))));
    await Bun.sleep(3000);
  }
  rows.push({ mode: "burst (8 concurrent)", xs: parallel });
  await client.close();

  // Naive: one fresh container per call, same flags.
  const argv = buildRunArgv(config, {
    engine: engine.name,
    binary: engine.binary,
    ociRuntime: config.ociRuntime,
    name: "x",
    ownerPid: process.pid,
    rlimits: hostRlimits({ readFile: (p) => readFileSync(p, "utf8") }, engine.remote),
  });
  const naive: number[] = [];
  for (let i = 0; i < Math.min(calls, 10); i++) {
    const a = [...argv];
    a[a.indexOf("--name") + 1] = `bridge-bench-${process.pid}-${i}`;
    a.splice(a.length - 2, 2, "-c", "print(1)");
    a.splice(a.indexOf("-i"), 1);
    const t = performance.now();
    const r = Bun.spawnSync(a, { stdout: "pipe", stderr: "pipe" });
    naive.push(performance.now() - t);
    if (r.stdout.toString() !== "1\n") throw new Error(`naive run failed: ${r.stderr.toString()}`);
  }
  rows.push({ mode: `naive ${engine.name} run --rm per call`, xs: naive });

  console.log(
    `\nrun_python print(1) via MCP client, ${engine.name} ${engine.version}, image ${config.image}, pool ${config.poolSize}`,
  );
  console.log(
    `${"mode".padEnd(34)}${"n".padStart(4)}${"p50 ms".padStart(8)}${"p95 ms".padStart(8)}${"min".padStart(8)}${"max".padStart(8)}`,
  );
  for (const { mode, xs } of rows)
    console.log(
      `${mode.padEnd(34)}${String(xs.length).padStart(4)}${f(pct(xs, 50))}${f(pct(xs, 95))}${f(Math.min(...xs))}${f(Math.max(...xs))}`,
    );
  const speedup = pct(naive, 50) / pct(paced, 50);
  console.log(
    `\npaced p50 ${pct(paced, 50).toFixed(1)} ms (goal ≤ 20 ms): ${pct(paced, 50) <= 20 ? "met" : "NOT met"}; ${speedup.toFixed(0)}× faster than naive (goal ≥ 20×): ${speedup >= 20 ? "met" : "NOT met"}`,
  );
}

// Data-science rows: the same code through a serve with warm imports (default) and one without.
const dataImage = process.env.BENCH_DATA_IMAGE ?? "localhost/bridge-datascience:latest";
const DATA_ROWS = [
  {
    label: "pandas describe()",
    goal: 30,
    code: "import pandas as pd, numpy as np\ndf = pd.DataFrame(np.random.rand(1000, 4))\ndf.describe()",
    check: (r: CallResult) => Boolean(r.structuredContent?.result?.includes("count")),
  },
  {
    label: "matplotlib line chart as image",
    goal: 60,
    code: "import matplotlib.pyplot as plt\nplt.plot(range(100))\nplt.show()",
    check: (r: CallResult) => (r.content ?? []).some((c) => c.type === "image"),
  },
];
type CallResult = { structuredContent?: { result?: string }; content?: Array<{ type: string }>; isError?: boolean };
const hasDataImage =
  dataImage !== "" &&
  Bun.spawnSync([engine.binary, "image", "inspect", dataImage], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
if (!hasDataImage) {
  console.log(
    `\ndata-science rows skipped: ${dataImage || "BENCH_DATA_IMAGE is empty"} ${dataImage ? `is not in ${engine.name} (dist/bridge image build builds it)` : ""}`,
  );
} else {
  const series: Record<string, { warm: number[]; cold: number[] }> = {};
  for (const mode of ["warm", "cold"] as const) {
    const dataRoot = mkdtempSync(join(tmpdir(), "bridge-bench-data-"));
    const dataEnv = {
      ...env,
      BRIDGE_ROOT: dataRoot,
      HOME: dataRoot,
      MCP_BRIDGE_IMAGE: dataImage,
      ...(mode === "cold" ? { MCP_BRIDGE_WARM_IMPORTS: "" } : {}),
    };
    const t = new StdioClientTransport({ command: bin, args: ["serve"], env: dataEnv, stderr: "inherit" });
    const c = new Client({ name: "bench-data", version: "1" });
    await c.connect(t);
    await c.callTool({ name: "run_python", arguments: { code: "1" } });
    await Bun.sleep(5000); // the pool fills (warm imports make a start take a second or more)
    for (const row of DATA_ROWS) {
      const xs: number[] = [];
      for (let i = 0; i < calls; i++) {
        const t0 = performance.now();
        const r = (await c.callTool({ name: "run_python", arguments: { code: row.code } })) as CallResult;
        xs.push(performance.now() - t0);
        if (r.isError || !row.check(r))
          throw new Error(`${row.label}: unexpected result ${JSON.stringify(r).slice(0, 500)}`);
        await Bun.sleep(600);
      }
      (series[row.label] ??= { warm: [], cold: [] })[mode] = xs;
    }
    await c.close();
    rmSync(dataRoot, { recursive: true, force: true });
  }
  console.log(
    `\ndata science via MCP client, paced (1 call / 600 ms), ${engine.name}, image ${dataImage}; cold = MCP_BRIDGE_WARM_IMPORTS empty`,
  );
  console.log(
    `${"code".padEnd(34)}${"warm p50".padStart(10)}${"warm p95".padStart(10)}${"cold p50".padStart(10)}${"cold p95".padStart(10)}  goal (warm p50)`,
  );
  for (const row of DATA_ROWS) {
    const { warm, cold } = series[row.label]!;
    const p = pct(warm, 50);
    console.log(
      `${row.label.padEnd(34)}${f(p).padStart(10)}${f(pct(warm, 95)).padStart(10)}${f(pct(cold, 50)).padStart(10)}${f(pct(cold, 95)).padStart(10)}  ≤ ${row.goal} ms: ${p <= row.goal ? "met" : "NOT met"}`,
    );
  }
}
rmSync(root, { recursive: true, force: true });
