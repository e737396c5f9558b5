/**
 * install.sh against a real release archive served on 127.0.0.1: installs and verifies the
 * binary, and refuses an archive whose checksum does not match.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { tempDir } from "../support/bridge.ts";

const repo = resolve(import.meta.dir, "../..");
const release = tempDir("bridge-release-");
const home = tempDir("bridge-install-");
let server: ReturnType<typeof Bun.serve>;
const platform = `${process.platform}-${process.arch}`;

beforeAll(() => {
  const r = Bun.spawnSync(["bun", "scripts/release.ts", platform], { cwd: repo, env: { ...process.env, BRIDGE_RELEASE_OUT: release.path }, stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`release build failed: ${r.stderr.toString()}`);
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => {
    const file = Bun.file(`${release.path}${new URL(req.url).pathname}`);
    return file.size ? new Response(file) : new Response("not found", { status: 404 });
  } });
}, 120_000);
afterAll(() => { server?.stop(true); release.cleanup(); home.cleanup(); });

/** Runs install.sh asynchronously: the archive server lives in this process's event loop. */
async function install(dest: string) {
  const p = Bun.spawn(["sh", `${repo}/install.sh`], {
    env: { PATH: process.env.PATH!, HOME: home.path, BRIDGE_DOWNLOAD_URL: `http://127.0.0.1:${server.port}`, BRIDGE_INSTALL_DIR: dest },
    stdin: "ignore", stdout: "pipe", stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

describe("install.sh", () => {
  test("installs a working binary and prints the client config with its absolute path", async () => {
    const dest = `${home.path}/bin`;
    const r = await install(dest);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`"command": "${dest}/bridge"`);
    const v = Bun.spawnSync([`${dest}/bridge`, "--version"], { stdout: "pipe" });
    expect(v.exitCode).toBe(0);
    expect(v.stdout.toString().trim()).toBe(readFileSync(`${release.path}/VERSION`, "utf8").trim());
  }, 60_000);

  test("a tampered archive is refused and nothing is installed", async () => {
    const sums = `${release.path}/SHA256SUMS`;
    const original = readFileSync(sums, "utf8");
    writeFileSync(sums, original.replace(/^[0-9a-f]{64}/m, "0".repeat(64)));
    try {
      const dest = `${home.path}/tampered`;
      const r = await install(dest);
      expect(r.code).not.toBe(0);
      expect(r.err).toContain("checksum mismatch");
      expect(Bun.file(`${dest}/bridge`).size).toBe(0);
    } finally {
      writeFileSync(sums, original);
    }
  }, 60_000);
});
