/**
 * The Homebrew formula's `test do` block, run with Ruby against the compiled binary the way
 * `brew test` runs it (testpath as working directory and HOME; test/support/homebrew-test-block.rb
 * stands in for Homebrew's DSL). Homebrew itself cannot run here; its offline audit rules are in
 * test/unit/packaging/homebrew.test.ts. Needs `ruby` (scripts/test.sh installs it on Debian).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { renderFormula } from "../../scripts/release/homebrew.ts";
import { requireBinary, tempDir } from "../support/bridge.ts";

const ruby = Bun.which("ruby");
const dir = tempDir("bridge-brew-");
afterAll(dir.cleanup);
const shim = resolve(import.meta.dir, "../support/homebrew-test-block.rb");
const sums = Object.fromEntries(
  ["darwin-arm64", "darwin-x64", "linux-arm64", "linux-x64"].map((p) => [`bridge-${p}.tar.gz`, "0".repeat(64)]),
);

/** Writes the formula for `version`, "installs" dist/bridge into a keg's bin, runs `test do`. */
function brewTest(version: string, keg: string) {
  const rb = join(dir.path, `${keg}/bridge.rb`);
  const bin = join(dir.path, `${keg}/bin`);
  const testpath = join(dir.path, `${keg}/testpath`);
  mkdirSync(bin, { recursive: true });
  mkdirSync(testpath);
  symlinkSync(requireBinary(), join(bin, "bridge"));
  writeFileSync(rb, renderFormula({ version, baseUrl: "https://example.test", sums }));
  const r = Bun.spawnSync([ruby!, shim, rb, bin, testpath], {
    env: { PATH: process.env.PATH! },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString(), rb };
}

describe(`Homebrew formula${ruby ? "" : " (skipped: no ruby on PATH)"}`, () => {
  test.skipIf(!ruby)("is valid Ruby, and its `test do` passes against the real binary", () => {
    const { code, out, rb } = brewTest(
      Bun.spawnSync([requireBinary(), "--version"]).stdout.toString().trim().split("+")[0]!,
      "good",
    );
    expect(Bun.spawnSync([ruby!, "-c", rb]).exitCode).toBe(0);
    expect(code, out).toBe(0);
    expect(out).toContain("test do: passed");
  });

  test.skipIf(!ruby)("its `test do` fails when the binary is not what the formula says (it can fail)", () => {
    const { code, out } = brewTest("9.9.9", "wrong-version");
    expect(code).not.toBe(0);
    expect(out).toContain("assert_match"); // the version check, after discover passed
  });
});
