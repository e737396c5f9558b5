/**
 * `bun run build:all`: cross-compiles bridge for every supported platform into dist/release/:
 *   bridge-<platform>.tar.gz  the binary + LICENSE + THIRD_PARTY_NOTICES.md (Windows 10+ ships tar)
 *   bridge-<platform>.mcpb    an MCP Bundle (manifest + the same files), packed by the mcpb CLI
 *   SHA256SUMS, VERSION, install.sh, server.json (MCP Registry), bridge.rb (Homebrew, when every
 *   platform it names was built)
 * x64 builds use Bun's -baseline runtimes, which run on CPUs without AVX2. The host's binary is run.
 * Usage: bun scripts/release.ts [--no-mcpb] [platform ...]   (default: every platform)
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { buildVersion, compile } from "./build-lib.ts";
import { lintFormula, renderFormula } from "./release/homebrew.ts";
import { packBundle, renderManifest, servedTools } from "./release/mcpb.ts";
import { thirdPartyNotices } from "./release/notices.ts";
import { renderServerJson, serverJsonProblems, type BundleAsset } from "./release/registry.ts";

export const TARGETS = {
  "linux-x64": "bun-linux-x64-baseline",
  "linux-arm64": "bun-linux-arm64",
  "darwin-x64": "bun-darwin-x64-baseline",
  "darwin-arm64": "bun-darwin-arm64",
  "windows-x64": "bun-windows-x64-baseline",
} as const;
type Platform = keyof typeof TARGETS;
const FORMULA_PLATFORMS: Platform[] = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64"];

const argv = process.argv.slice(2);
const withBundles = !argv.includes("--no-mcpb");
const named = argv.filter((a) => !a.startsWith("--"));
for (const a of argv)
  if (a.startsWith("--") && a !== "--no-mcpb")
    throw new Error(`unknown option "${a}"; usage: bun scripts/release.ts [--no-mcpb] [platform ...]`);
const wanted = (named.length ? named : Object.keys(TARGETS)) as Platform[];
for (const p of wanted)
  if (!(p in TARGETS)) throw new Error(`unknown target "${p}"; known: ${Object.keys(TARGETS).join(", ")}`);

const version = buildVersion();
const release = version.split("+")[0]!;
const baseUrl = process.env.BRIDGE_RELEASE_URL ?? `https://github.com/bridge-mcp/bridge/releases/download/v${release}`;
const out = process.env.BRIDGE_RELEASE_OUT ?? "dist/release";
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const exeName = (p: Platform) => `bridge${p.startsWith("windows") ? ".exe" : ""}`;
const host = `${process.platform}-${process.arch}`;
const timed = async <T>(what: string, fn: () => T | Promise<T>): Promise<T> => {
  const started = performance.now();
  const result = await fn();
  console.error(`release: ${what} (${Math.round(performance.now() - started)} ms)`);
  return result;
};

// 1. Compile every platform; the metafile of the first build lists the bundled packages.
const metafile = `${out}/.metafile.json`;
for (const [i, platform] of wanted.entries()) {
  const exe = `${out}/bridge-${platform}/${exeName(platform)}`;
  mkdirSync(`${out}/bridge-${platform}`, { recursive: true });
  await timed(`compiled ${platform} (${TARGETS[platform]})`, () =>
    compile({ outfile: exe, target: TARGETS[platform], version, metafile: i === 0 ? metafile : undefined }),
  );
  if (platform === host) {
    const r = Bun.spawnSync([exe, "--version"], { stdout: "pipe" });
    if (r.exitCode !== 0 || r.stdout.toString().trim() !== version)
      throw new Error(`${exe} does not start (exit ${r.exitCode})`);
  }
}
const notices = thirdPartyNotices(metafile, Bun.version);
rmSync(metafile, { force: true });
const tools = withBundles
  ? await servedTools(
      wanted.includes(host as Platform)
        ? [`${out}/bridge-${host}/${exeName(host as Platform)}`]
        : [process.execPath, "src/main.ts"],
    )
  : [];

// 2. Per platform: the archive, then the bundle, from the same three files.
const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
const sums: string[] = [];
const bundles: BundleAsset[] = [];
for (const platform of wanted) {
  const dir = `${out}/bridge-${platform}`;
  const exe = exeName(platform);
  writeFileSync(`${dir}/LICENSE`, readFileSync("LICENSE"));
  writeFileSync(`${dir}/THIRD_PARTY_NOTICES.md`, notices);
  const archive = `bridge-${platform}.tar.gz`;
  const tar = Bun.spawnSync(["tar", "-C", dir, "-czf", `${out}/${archive}`, exe, "LICENSE", "THIRD_PARTY_NOTICES.md"], {
    stderr: "pipe",
  });
  if (tar.exitCode !== 0) throw new Error(`tar failed for ${platform}: ${tar.stderr.toString()}`);
  sums.push(`${sha256(`${out}/${archive}`)}  ${archive}`);
  if (withBundles) {
    const bundle = `bridge-${platform}.mcpb`;
    const bdir = `${out}/bundle-${platform}`;
    mkdirSync(`${bdir}/server`, { recursive: true });
    copyFileSync(`${dir}/${exe}`, `${bdir}/server/${exe}`);
    copyFileSync(`${dir}/LICENSE`, `${bdir}/LICENSE`);
    copyFileSync(`${dir}/THIRD_PARTY_NOTICES.md`, `${bdir}/THIRD_PARTY_NOTICES.md`);
    writeFileSync(
      `${bdir}/manifest.json`,
      `${JSON.stringify(renderManifest({ platform, version: release, tools }), null, 2)}\n`,
    );
    await timed(`packed ${bundle}`, () => packBundle(bdir, `${out}/${bundle}`));
    rmSync(bdir, { recursive: true, force: true });
    const sum = sha256(`${out}/${bundle}`);
    sums.push(`${sum}  ${bundle}`);
    bundles.push({ file: bundle, sha256: sum });
  }
  rmSync(dir, { recursive: true, force: true });
}

// 3. Checksums and the documents that point at the assets.
writeFileSync(`${out}/SHA256SUMS`, `${sums.join("\n")}\n`);
writeFileSync(`${out}/VERSION`, `${version}\n`);
copyFileSync("install.sh", `${out}/install.sh`);
if (withBundles) {
  const serverJson = renderServerJson({ version: release, baseUrl, bundles });
  const problems = serverJsonProblems(serverJson);
  if (problems.length)
    throw new Error(`server.json does not match the MCP Registry schema:\n  ${problems.join("\n  ")}`);
  writeFileSync(`${out}/server.json`, `${JSON.stringify(serverJson, null, 2)}\n`);
}
if (FORMULA_PLATFORMS.every((p) => wanted.includes(p))) {
  const sumMap = Object.fromEntries(sums.map((l) => l.split("  ").reverse() as [string, string]));
  const formula = renderFormula({ version: release, baseUrl, sums: sumMap });
  const problems = lintFormula(formula);
  if (problems.length) throw new Error(`bridge.rb breaks Homebrew's audit rules:\n  ${problems.join("\n  ")}`);
  writeFileSync(`${out}/bridge.rb`, formula);
}
console.error(`release: ${wanted.length} platform(s), ${version}, in ${out}/`);
