/**
 * Benchmark: serve's peak resident memory (VmHWM) against one hostile run_python call, each case in
 * a fresh `dist/bridge serve` spoken to by the SDK Client. Cases: 30 MB printed in one write without
 * and with a progressToken, 200 writes of 1 MB with a progressToken, one 100 MB host-call frame.
 * Goal (issue 8): ≤ 200 MB in every case. Prints a table; writes nothing to the repo. Linux only
 * (reads /proc). A binary to compare with (e.g. main's build) can be given as BRIDGE_BIN.
 *
 *   bun bench/serve-memory.ts   (env: MCP_BRIDGE_ENGINE, MCP_BRIDGE_IMAGE, BRIDGE_BIN)
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const GOAL_MB = 200;
const bin = process.env.BRIDGE_BIN ?? resolve(import.meta.dir, "../dist/bridge");
const CASES: Array<{ name: string; code: string; progress: boolean }> = [
  { name: "30 MB in one write", code: "import sys\nsys.stdout.write('x' * 30_000_000 + '\\n')", progress: false },
  {
    name: "30 MB in one write + progressToken",
    code: "import sys\nsys.stdout.write('x' * 30_000_000 + '\\n')",
    progress: true,
  },
  {
    name: "200 × 1 MB writes + progressToken",
    code: "import sys\nfor _ in range(200): sys.stdout.write('y' * 1_000_000)",
    progress: true,
  },
  {
    name: "one 100 MB host-call frame",
    code: "import _bridge\ntry:\n    _bridge.call_sync('memory.list', 'x' * 100_000_000)\nexcept Exception as e:\n    print(type(e).__name__)",
    progress: false,
  },
];

async function measure(
  code: string,
  progress: boolean,
): Promise<{ peakMb: number; idleMb: number; seconds: number; notifications: number }> {
  const root = mkdtempSync(join(tmpdir(), "bridge-bench-"));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, { BRIDGE_ROOT: root, HOME: root, MCP_BRIDGE_LOG_LEVEL: "warn", MCP_BRIDGE_POOL_SIZE: "1" });
  env.MCP_BRIDGE_IMAGE ??= "localhost/bridge-python:latest";
  const transport = new StdioClientTransport({ command: bin, args: ["serve"], env, stderr: "inherit" });
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(transport);
  const status = () => readFileSync(`/proc/${transport.pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status())![1]);
  try {
    await client.callTool({ name: "run_python", arguments: { code: "1" } }, undefined, { timeout: 180_000 });
    const idleMb = kb("VmRSS") / 1024;
    let notifications = 0;
    const t = performance.now();
    await client.callTool({ name: "run_python", arguments: { code } }, undefined, {
      timeout: 600_000,
      ...(progress ? { onprogress: () => void notifications++ } : {}),
    });
    return { peakMb: kb("VmHWM") / 1024, idleMb, seconds: (performance.now() - t) / 1000, notifications };
  } finally {
    await client.close();
    rmSync(root, { recursive: true, force: true });
  }
}

console.log(
  `serve peak RSS (VmHWM) per hostile call — ${bin}, engine ${process.env.MCP_BRIDGE_ENGINE ?? "auto"}, goal ≤ ${GOAL_MB} MB`,
);
console.log("| case | peak MB | before the call MB | call s | progress notifications | goal |");
console.log("|---|---|---|---|---|---|");
let failed = false;
for (const c of CASES) {
  const r = await measure(c.code, c.progress);
  const ok = r.peakMb <= GOAL_MB;
  failed ||= !ok;
  console.log(
    `| ${c.name} | ${r.peakMb.toFixed(0)} | ${r.idleMb.toFixed(0)} | ${r.seconds.toFixed(1)} | ${c.progress ? r.notifications : "-"} | ${ok ? "met" : "MISSED"} |`,
  );
}
process.exitCode = failed ? 1 : 0;
