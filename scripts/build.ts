/**
 * `bun run build`: compiles dist/bridge for this machine, then runs it once (`--version`) so a
 * binary that cannot start fails the build instead of the first user.
 */
import { buildVersion, compile } from "./build-lib.ts";

const outfile = process.platform === "win32" ? "dist/bridge.exe" : "dist/bridge";
const version = buildVersion();
const started = performance.now();
compile({ outfile, version });
const check = Bun.spawnSync([outfile, "--version"], {
  stdout: "pipe",
  stderr: "pipe",
  env: { ...process.env, BRIDGE_ROOT: "/nonexistent-bridge-root" },
});
const printed = check.stdout.toString().trim();
if (check.exitCode !== 0 || printed !== version) {
  console.error(
    `build: ${outfile} does not start: exit ${check.exitCode}, printed "${printed}"\n${check.stderr.toString()}`,
  );
  process.exit(1);
}
console.error(`build: ${outfile} ${version} (${Math.round(performance.now() - started)} ms)`);
