/** Shared by build.ts and release.ts: compiles src/main.ts into one standalone binary. */
import pkg from "../package.json" with { type: "json" };

/** The version baked into binaries: package.json's, plus the git commit when available. */
export function buildVersion(): string {
  const git = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { stderr: "ignore" });
  const sha = git.exitCode === 0 ? git.stdout.toString().trim() : "";
  return sha ? `${pkg.version}+${sha}` : pkg.version;
}

/** Runs `bun build --compile` for one target (optionally writing its metafile); throws with bun's output on failure. */
export function compile(opts: { outfile: string; target?: string; version: string; metafile?: string }): void {
  const args = [
    process.execPath,
    "build",
    "src/main.ts",
    "--compile",
    "--minify",
    "--bytecode",
    "--format=esm",
    "--sourcemap=none",
    "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig",
    `--define=BRIDGE_VERSION=${JSON.stringify(opts.version)}`,
    `--outfile=${opts.outfile}`,
  ];
  if (opts.target) args.push(`--target=${opts.target}`);
  // The module graph (JSON): release.ts lists the bundled npm packages from it for the notices.
  if (opts.metafile) args.push(`--metafile=${opts.metafile}`);
  const r = Bun.spawnSync(args, { stdout: "pipe", stderr: "pipe" });
  const out = r.stdout.toString() + r.stderr.toString();
  // bun has exited 0 after printing an error (e.g. --bytecode without esm): treat "error:" as failure too.
  if (r.exitCode !== 0 || /^error:/m.test(out)) {
    throw new Error(`bun build failed for ${opts.target ?? "host"} (exit ${r.exitCode}):\n${out}`);
  }
}
