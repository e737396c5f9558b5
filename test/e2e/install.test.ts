/**
 * install.sh against a real release archive served on 127.0.0.1, under dash and bash: installs and
 * verifies the binary; refuses a tampered archive, and a binary that does not run (keeping the old
 * one); prints the PATH line for the user's shell; warns when `bridge` is another program; asks
 * for the right archive (`v` prefix, Rosetta) — the last with fake curl/uname/sysctl on PATH.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { tempDir } from "../support/bridge.ts";

const repo = resolve(import.meta.dir, "../..");
const release = tempDir("bridge-release-");
const broken = tempDir("bridge-broken-release-");
const home = tempDir("bridge-install-");
let server: ReturnType<typeof Bun.serve>;
const platform = `${process.platform}-${process.arch}`;
const archive = `bridge-${platform}.tar.gz`;
const shells = ["dash", "bash"].filter((s) => Bun.which(s));

beforeAll(() => {
  const r = Bun.spawnSync(["bun", "scripts/release.ts", "--no-mcpb", platform], {
    cwd: repo,
    env: { ...process.env, BRIDGE_RELEASE_OUT: release.path },
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`release build failed: ${r.stderr.toString()}`);
  // A release whose binary dies at start, like an AVX2 build on an older CPU.
  const stage = join(broken.path, "stage");
  mkdirSync(stage);
  writeFileSync(join(stage, "bridge"), "#!/bin/sh\necho 'Illegal instruction' >&2\nexit 132\n");
  chmodSync(join(stage, "bridge"), 0o755);
  Bun.spawnSync(["tar", "-C", stage, "-czf", join(broken.path, archive), "bridge"]);
  const sum = createHash("sha256")
    .update(readFileSync(join(broken.path, archive)))
    .digest("hex");
  writeFileSync(join(broken.path, "SHA256SUMS"), `${sum}  ${archive}\n`);
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) => {
      const path = new URL(req.url).pathname;
      const base = path.startsWith("/broken/") ? broken.path : release.path;
      const file = Bun.file(join(base, path.replace(/^\/broken/, "")));
      return file.size ? new Response(file) : new Response("not found", { status: 404 });
    },
  });
}, 120_000);
afterAll(() => {
  server?.stop(true);
  release.cleanup();
  broken.cleanup();
  home.cleanup();
});

/** Runs install.sh with `shell` asynchronously (the archive server lives in this event loop). */
async function install(dest: string, opts: { shell?: string; env?: Record<string, string>; url?: string } = {}) {
  const p = Bun.spawn([opts.shell ?? "sh", `${repo}/install.sh`], {
    env: {
      PATH: process.env.PATH!,
      HOME: home.path,
      SHELL: "/bin/bash",
      BRIDGE_DOWNLOAD_URL: opts.url ?? `http://127.0.0.1:${server.port}`,
      BRIDGE_INSTALL_DIR: dest,
      ...opts.env,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}
const version = () => readFileSync(`${release.path}/VERSION`, "utf8").trim();

describe("install.sh", () => {
  test("installs a working binary and prints the client config with its absolute path", async () => {
    const dest = `${home.path}/bin`;
    const r = await install(dest);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`"command": "${dest}/bridge"`);
    const v = Bun.spawnSync([`${dest}/bridge`, "--version"], { stdout: "pipe" });
    expect(v.exitCode).toBe(0);
    expect(v.stdout.toString().trim()).toBe(version());
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

  test("a binary that does not run on this machine is refused and the working one is kept", async () => {
    const dest = `${home.path}/keep`;
    expect((await install(dest)).code).toBe(0);
    const before = readFileSync(`${dest}/bridge`);
    const r = await install(dest, { url: `http://127.0.0.1:${server.port}/broken` });
    expect(r.code).toBe(1);
    expect(r.err).toContain("does not run on this machine (Illegal instruction");
    expect(r.err).toContain(`kept the existing ${dest}/bridge`);
    expect(readFileSync(`${dest}/bridge`).equals(before)).toBe(true);
    expect(readdirSync(dest)).toEqual(["bridge"]); // no staged leftovers
    expect(Bun.spawnSync([`${dest}/bridge`, "--version"]).exitCode).toBe(0);
  }, 60_000);

  test.each(shells)(
    "under %s: prints the PATH line for the user's shell, and that line works",
    async (shell) => {
      const cases = [
        {
          SHELL: "/bin/bash",
          profile: ".bashrc",
          line: `echo 'export PATH="$HOME/apps-${shell}/bin:$PATH"' >> ~/.bashrc`,
        },
        {
          SHELL: "/bin/dash",
          profile: ".profile",
          line: `echo 'export PATH="$HOME/apps-${shell}/bin:$PATH"' >> ~/.profile`,
        },
      ];
      for (const c of cases) {
        const dest = join(home.path, `apps-${shell}`, "bin");
        const r = await install(dest, { shell, env: { SHELL: c.SHELL } });
        expect(r.code, r.err).toBe(0);
        expect(r.out).toContain(`${dest} is not on your PATH`);
        expect(r.out).toContain(`  ${c.line}\n`);
        // Run the printed line; then the profile, read by a new shell, makes `bridge` ours (ahead of /usr/sbin).
        const env = { HOME: home.path, PATH: "/usr/bin:/bin:/usr/sbin:/sbin" };
        expect(Bun.spawnSync([shell, "-c", c.line], { env }).exitCode).toBe(0);
        const reader = c.profile === ".bashrc" ? "bash" : "dash";
        const which = Bun.spawnSync([reader, "-c", `. ~/${c.profile}; command -v bridge`], { env, stdout: "pipe" });
        expect(which.stdout.toString().trim()).toBe(`${dest}/bridge`);
      }
    },
    120_000,
  );

  test("warns when `bridge` on PATH is another program (iproute2's /usr/sbin/bridge)", async () => {
    const other = join(home.path, "other-bin");
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, "bridge"), "#!/bin/sh\necho 'Usage: bridge [ OPTIONS ] OBJECT'\n");
    chmodSync(join(other, "bridge"), 0o755);
    const dest = join(home.path, "shadowed");
    const r = await install(dest, { env: { PATH: `${other}:${dest}:${process.env.PATH}` } });
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toContain("is not on your PATH");
    expect(r.err).toContain(`\`bridge\` in your shell runs ${other}/bridge, another program`);
    expect(r.err).toContain(`put ${dest} before ${other} in PATH`);
  }, 60_000);

  describe("which archive it asks for (fake curl records the URL)", () => {
    function fakeHost(uname: { s: string; m: string }, translated: string) {
      const bin = tempDir("bridge-fakebin-");
      const log = join(bin.path, "urls.log");
      const tool = (name: string, body: string) => {
        writeFileSync(join(bin.path, name), `#!/bin/sh\n${body}\n`);
        chmodSync(join(bin.path, name), 0o755);
      };
      tool("curl", `for a in "$@"; do case "$a" in http*) echo "$a" >>${log};; esac; done\nexit 22`);
      tool("uname", `[ "$1" = -s ] && echo ${uname.s}\n[ "$1" = -m ] && echo ${uname.m}\nexit 0`);
      tool("sysctl", `echo ${translated}`);
      return {
        path: `${bin.path}:${process.env.PATH}`,
        urls: () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []),
        cleanup: bin.cleanup,
      };
    }

    test("BRIDGE_VERSION=v0.1.0 asks for /download/v0.1.0/, not vv0.1.0", async () => {
      const host = fakeHost({ s: "Linux", m: "x86_64" }, "0");
      try {
        const r = await install(join(home.path, "v"), {
          url: "",
          env: { PATH: host.path, BRIDGE_VERSION: "v0.1.0", BRIDGE_DOWNLOAD_URL: "" },
        });
        expect(r.code).toBe(1);
        expect(host.urls()).toEqual([
          "https://github.com/bridge-mcp/bridge/releases/download/v0.1.0/bridge-linux-x64.tar.gz",
        ]);
      } finally {
        host.cleanup();
      }
    });

    test("a shell under Rosetta on Apple silicon gets the arm64 build", async () => {
      const host = fakeHost({ s: "Darwin", m: "x86_64" }, "1");
      try {
        await install(join(home.path, "rosetta"), { env: { PATH: host.path } });
        expect(host.urls()[0]).toEndWith("/bridge-darwin-arm64.tar.gz");
      } finally {
        host.cleanup();
      }
      const intel = fakeHost({ s: "Darwin", m: "x86_64" }, "0");
      try {
        await install(join(home.path, "intel"), { env: { PATH: intel.path } });
        expect(intel.urls()[0]).toEndWith("/bridge-darwin-x64.tar.gz");
      } finally {
        intel.cleanup();
      }
    });
  });
});
