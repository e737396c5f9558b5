/**
 * How long discovery takes with a big Claude Code state file (`~/.claude.json` holds every
 * project's history and reaches 15–100 MB). Writes a synthetic file of the given size (default
 * 100 MB) in a temp HOME, then measures `bridge discover --json` end to end (the compiled binary),
 * and in-process `discoverServers` cold and with the unchanged file (reused extraction).
 * Usage: bun bench/discovery-claude-json.ts [MB]
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { discoverServers } from "../src/upstream/discovery/index.ts";

const mb = Number(process.argv[2] ?? 100);
const dir = mkdtempSync(join(tmpdir(), "bridge-bench-claude-json-"));
const home = join(dir, "home");
const project = join(dir, "project");
Bun.spawnSync(["mkdir", "-p", home, project]);

const filler = "x".repeat(400);
const projects: Record<string, unknown> = {};
let size = 0;
for (let i = 0; size < mb * 1024 * 1024; i++) {
  const p = {
    history: Array.from({ length: 50 }, (_, j) => ({
      display: `prompt ${j} ${filler}`,
      pastedContents: { a: { type: "text", content: "y".repeat(300) } },
    })),
    mcpServers: {},
    hasTrustDialogAccepted: true,
  };
  projects[`/home/u/code/project-${i}`] = p;
  size += JSON.stringify(p).length;
}
projects[project] = { mcpServers: { local: { command: "sh" } }, hasTrustDialogAccepted: true };
const file = join(home, ".claude.json");
writeFileSync(file, JSON.stringify({ numStartups: 9, mcpServers: { user: { command: "sh" } }, projects }, null, 2));
const bytes = statSync(file).size;

const config = { allowServers: [], denyServers: [], allowSelfServer: false, serversConfig: [], trustedProjects: [] };
const opts = { config, home, cwd: project, platform: process.platform, env: { PATH: "/usr/bin:/bin", HOME: home } };
const bin = resolve(import.meta.dir, "../dist/bridge");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const e2e: number[] = [];
let peakRss = 0;
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  const r = Bun.spawnSync(["/usr/bin/time", "-f", "%M", bin, "discover", "--json"], {
    cwd: project,
    env: { HOME: home, PATH: "/usr/bin:/bin", BRIDGE_ROOT: join(dir, "root") },
    stdout: "pipe",
    stderr: "pipe",
  });
  e2e.push(performance.now() - t);
  peakRss = Math.max(peakRss, Number(r.stderr.toString().trim().split("\n").pop()) / 1024);
  const names = (JSON.parse(r.stdout.toString()) as { servers: Array<{ name: string }> }).servers.map((s) => s.name);
  if (names.join() !== "local,user") throw new Error(`unexpected servers: ${names}`);
}
const t0 = performance.now();
await discoverServers(opts);
const cold = performance.now() - t0;
const t1 = performance.now();
await discoverServers(opts);
const warm = performance.now() - t1;

console.log(`~/.claude.json ${(bytes / 1024 / 1024).toFixed(1)} MiB, ${Object.keys(projects).length} projects`);
console.log(
  `bridge discover --json (compiled, whole process): median ${Math.round(median(e2e))} ms of ${e2e.map(Math.round).join("/")} ms, peak RSS ${Math.round(peakRss)} MiB`,
);
console.log(`discoverServers in process: first read ${Math.round(cold)} ms, unchanged file ${Math.round(warm)} ms`);
rmSync(dir, { recursive: true, force: true });
