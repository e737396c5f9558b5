/**
 * `bun run build:all`: cross-compiles bridge for every supported platform into dist/release/,
 * one .tar.gz per platform (Windows 10+ ships tar too) plus SHA256SUMS, install.sh and the Homebrew
 * formula (when every platform was built). The host binary is run once.
 * Usage: bun scripts/release.ts [target ...]   (default: all targets)
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { buildVersion, compile } from "./build-lib.ts";
import { renderFormula } from "./homebrew.ts";

const TARGETS = {
  "linux-x64": "bun-linux-x64",
  "linux-arm64": "bun-linux-arm64",
  "darwin-x64": "bun-darwin-x64",
  "darwin-arm64": "bun-darwin-arm64",
  "windows-x64": "bun-windows-x64",
} as const;
type Platform = keyof typeof TARGETS;

const wanted = (process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(TARGETS)) as Platform[];
for (const p of wanted) if (!(p in TARGETS)) throw new Error(`unknown target "${p}"; known: ${Object.keys(TARGETS).join(", ")}`);

const version = buildVersion();
const out = process.env.BRIDGE_RELEASE_OUT ?? "dist/release";
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const sums: string[] = [];

for (const platform of wanted) {
  const started = performance.now();
  const dir = `${out}/bridge-${platform}`;
  mkdirSync(dir, { recursive: true });
  const exe = `${dir}/bridge${platform.startsWith("windows") ? ".exe" : ""}`;
  compile({ outfile: exe, target: TARGETS[platform], version });
  if (platform === `${process.platform}-${process.arch}`) {
    const r = Bun.spawnSync([exe, "--version"], { stdout: "pipe" });
    if (r.exitCode !== 0 || r.stdout.toString().trim() !== version) throw new Error(`${exe} does not start (exit ${r.exitCode})`);
  }
  const archive = `bridge-${platform}.tar.gz`;
  const tar = Bun.spawnSync(["tar", "-C", dir, "-czf", `${out}/${archive}`, exe.slice(dir.length + 1)], { stderr: "pipe" });
  if (tar.exitCode !== 0) throw new Error(`tar failed for ${platform}: ${tar.stderr.toString()}`);
  rmSync(dir, { recursive: true, force: true });
  const sum = createHash("sha256").update(readFileSync(`${out}/${archive}`)).digest("hex");
  sums.push(`${sum}  ${archive}`);
  console.error(`release: ${archive} (${Math.round(performance.now() - started)} ms)`);
}
writeFileSync(`${out}/SHA256SUMS`, `${sums.join("\n")}\n`);
writeFileSync(`${out}/VERSION`, `${version}\n`);
copyFileSync("install.sh", `${out}/install.sh`);
if (wanted.length === Object.keys(TARGETS).length) {
  const baseUrl = process.env.BRIDGE_RELEASE_URL ?? `https://github.com/bridge-mcp/bridge/releases/download/v${version.split("+")[0]}`;
  const sumMap = Object.fromEntries(sums.map((l) => l.split("  ").reverse() as [string, string]));
  writeFileSync(`${out}/bridge.rb`, renderFormula({ version: version.split("+")[0]!, baseUrl, sums: sumMap }));
}
console.error(`release: ${wanted.length} platform(s), ${version}, in ${out}/`);
