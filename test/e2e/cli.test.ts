/** The compiled binary's command line: version, help, usage errors, config errors. */
import { afterAll, describe, expect, test } from "bun:test";
import pkg from "../../package.json" with { type: "json" };
import { bridgeEnv, requireBinary, tempDir } from "../support/bridge.ts";

const bin = requireBinary();
const root = tempDir();
afterAll(root.cleanup);

function run(args: string[], env: Record<string, string> = {}) {
  const r = Bun.spawnSync([bin, ...args], {
    env: bridgeEnv(root.path, env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("bridge CLI", () => {
  test("--version prints the build version", () => {
    const r = run(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().startsWith(pkg.version)).toBe(true);
  });

  test("--help lists the subcommands", () => {
    const r = run(["--help"]);
    expect(r.code).toBe(0);
    for (const cmd of ["serve", "run", "worker", "discover", "doctor"]) expect(r.stdout).toContain(cmd);
  });

  test.each([
    [["frobnicate"], "unknown command"],
    [["--frobnicate"], "unknown option"],
    [["serve", "--no-such-flag"], "unknown option"],
  ])("%p → one clear line on stderr, exit 2", (args, message) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(message);
  });

  test("serve refuses to start with an invalid setting, naming it and what is accepted", () => {
    const r = run(["serve"], { MCP_BRIDGE_TIMEOUT: "forever" });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('MCP_BRIDGE_TIMEOUT="forever"');
    expect(r.stderr).toContain("30s");
  });

  test("the binary ignores .env and bunfig.toml in the working directory", async () => {
    const dir = tempDir();
    try {
      await Bun.write(`${dir.path}/.env`, "MCP_BRIDGE_TIMEOUT=broken\n");
      await Bun.write(`${dir.path}/bunfig.toml`, "this is = not [valid toml\n");
      const r = Bun.spawnSync([bin, "--version"], {
        cwd: dir.path,
        env: bridgeEnv(root.path),
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(r.exitCode).toBe(0);
      const s = Bun.spawnSync([bin, "serve"], {
        cwd: dir.path,
        env: bridgeEnv(root.path),
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(s.stderr.toString()).not.toContain("MCP_BRIDGE_TIMEOUT");
      expect(s.exitCode).toBe(0);
    } finally {
      dir.cleanup();
    }
  });
});
