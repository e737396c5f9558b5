/**
 * run_python with rootless podman: the compiled binary run by an unprivileged user, over MCP and
 * from `bridge run`. Creates (and keeps) a test user, so it runs only as root, and only in CI or
 * with BRIDGE_TEST_ROOTLESS=1. On a cgroup v1 host rootless containers get no memory/pids limits:
 * bridge must say so and still stop a fork bomb with its nproc rlimit.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { BRIDGE_BIN, TEST_IMAGE, requireBinary, resultText, tempDir } from "../support/bridge.ts";

const USER = "bridge-rootless";
const RUNUSER = Bun.which("runuser") ?? "runuser";
const enabled =
  process.getuid?.() === 0 &&
  Boolean(process.env.CI || process.env.BRIDGE_TEST_ROOTLESS) &&
  Boolean(Bun.which("podman") && Bun.which("runuser") && Bun.which("useradd") && Bun.which("newuidmap"));
const why =
  process.getuid?.() !== 0
    ? "not root"
    : !(process.env.CI || process.env.BRIDGE_TEST_ROOTLESS)
      ? "set BRIDGE_TEST_ROOTLESS=1 (creates a user)"
      : "needs podman, runuser, useradd, uidmap";

const work = tempDir("bridge-rootless-");
let uid = 0;
let env: Record<string, string> = {};
let bin = "";
let cgroupV1 = false;

const sh = (argv: string[], opts: { asUser?: boolean } = {}) => {
  const full = opts.asUser
    ? [RUNUSER, "-u", USER, "--", "env", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv]
    : argv;
  const r = Bun.spawnSync(full, { stdout: "pipe", stderr: "pipe", env: opts.asUser ? {} : process.env });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
};

beforeAll(() => {
  if (!enabled) return;
  requireBinary();
  if (sh(["id", "-u", USER]).code !== 0) {
    const add = sh(["useradd", "--create-home", "--shell", "/bin/sh", USER]);
    if (add.code !== 0) throw new Error(`useradd failed: ${add.err}`);
  }
  uid = Number(sh(["id", "-u", USER]).out.trim());
  const home = sh(["sh", "-c", `getent passwd ${USER} | cut -d: -f6`]).out.trim();
  const runtimeDir = `/run/user/${uid}`;
  mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
  chownSync(runtimeDir, uid, uid);
  chmodSync(work.path, 0o755);
  bin = join(work.path, "bridge");
  copyFileSync(BRIDGE_BIN, bin);
  chmodSync(bin, 0o755);
  const root = join(work.path, "root");
  mkdirSync(root, { mode: 0o700 });
  chownSync(root, uid, uid);
  env = {
    HOME: home,
    USER,
    PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
    XDG_RUNTIME_DIR: runtimeDir,
    BRIDGE_ROOT: root,
    MCP_BRIDGE_IMAGE: TEST_IMAGE,
    MCP_BRIDGE_LOG_LEVEL: "warn",
  };
  // Podman may fall back to vfs for a new rootless user, which copies the whole image per
  // container (~10 s each here); native overlay works on current kernels.
  const storageConf = join(home, ".config/containers/storage.conf");
  if (!existsSync(storageConf)) {
    sh(["mkdir", "-p", join(home, ".config/containers")], { asUser: true });
    sh(["sh", "-c", `printf '[storage]\\ndriver = "overlay"\\n' > ${storageConf}`], { asUser: true });
    sh(["podman", "system", "reset", "-f"], { asUser: true });
  }
  const info = sh(["podman", "info", "--format", "{{.Store.GraphDriverName}}"], { asUser: true });
  if (info.code !== 0) throw new Error(`rootless podman does not work for ${USER}: ${info.err}`);

  // The test image, moved from root's store into the user's (unless it already has this build).
  const want = sh(["podman", "image", "inspect", "--format", "{{.Id}}", TEST_IMAGE]).out.trim();
  const have = sh(["podman", "image", "inspect", "--format", "{{.Id}}", TEST_IMAGE], { asUser: true }).out.trim();
  if (!want) throw new Error(`${TEST_IMAGE} is not in root's podman store: run scripts/test.sh (it builds it)`);
  if (have !== want) {
    const archive = join(work.path, "image.tar");
    const save = sh(["podman", "save", "-q", "--format", "oci-archive", "-o", archive, TEST_IMAGE]);
    if (save.code !== 0) throw new Error(`podman save failed: ${save.err}`);
    chmodSync(archive, 0o644);
    const load = sh(["podman", "load", "-q", "-i", archive], { asUser: true });
    if (load.code !== 0) throw new Error(`podman load (as ${USER}) failed: ${load.err}`);
    sh(["rm", "-f", archive]);
  }
  cgroupV1 = sh(["podman", "info", "--format", "{{.Host.CgroupsVersion}}"], { asUser: true }).out.trim() === "v1";
}, 300_000);
afterAll(() => work.cleanup());

describe.skipIf(!enabled)(`rootless podman (${enabled ? `user ${USER}` : `SKIPPED: ${why}`})`, () => {
  test("bridge run works as an unprivileged user, as uid 65534 in the container", () => {
    const r = sh([bin, "run", "-c", "import os\nprint(os.getuid())\n6 * 7"], { asUser: true });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe("65534\n42\n");
    if (cgroupV1) expect(r.err).toContain("cannot have memory, pids or CPU limits");
    else expect(r.err).not.toContain("cannot have memory, pids or CPU limits");
  }, 120_000);

  test("doctor reports the rootless engine, and unenforced limits on cgroup v1", () => {
    const r = sh([bin, "doctor", "--json"], { asUser: true });
    const results = JSON.parse(r.out) as Array<{ name: string; status: string; detail: string }>;
    expect(results.find((x) => x.name === "container engine")?.detail).toContain("rootless");
    expect(results.find((x) => x.name === "sandbox run")?.status).toBe("ok");
    expect(results.some((x) => x.name === "resource limits" && x.status === "warn")).toBe(cgroupV1);
  }, 120_000);

  test("a fork bomb is stopped (cgroup pids limit, or the nproc rlimit on cgroup v1), then the next call works", () => {
    const bomb =
      "import os, time\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            time.sleep(3)\n            os._exit(0)\n        n += 1\nexcept OSError as e:\n    print('refused after', n)";
    const r = sh([bin, "run", "--timeout", "30s", "-c", bomb], { asUser: true });
    expect(r.code, r.err).toBe(0);
    const n = Number(/refused after (\d+)/.exec(r.out)?.[1]);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(128);
    expect(sh([bin, "run", "-c", "print('next')"], { asUser: true }).out).toBe("next\n");
  }, 120_000);

  test("an allowed folder is readable and /output files land in the output folder, owned by the user", () => {
    const data = join(work.path, "rl-sales");
    const out = join(work.path, "rl-reports");
    for (const d of [data, out]) {
      mkdirSync(d, { recursive: true });
      chownSync(d, uid, uid);
    }
    writeFileSync(join(data, "q3.csv"), "region,amount\nnorth,10\n");
    chmodSync(join(data, "q3.csv"), 0o644);
    const code =
      "print(open('/data/rl-sales/q3.csv').read().splitlines()[1])\n_ = open('/output/r.txt', 'w').write('ok')";
    const r = sh(["env", `MCP_BRIDGE_FOLDERS=${data}`, `MCP_BRIDGE_OUTPUT_FOLDER=${out}`, bin, "run", "-c", code], {
      asUser: true,
    });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe("north,10\n");
    expect(readFileSync(join(out, "r.txt"), "utf8")).toBe("ok");
    expect(statSync(join(out, "r.txt")).uid).toBe(uid);
  }, 120_000);

  test("run_python over MCP from a rootless serve", async () => {
    const transport = new StdioClientTransport({
      command: RUNUSER,
      args: [
        "-u",
        USER,
        "--",
        "env",
        ...Object.entries({ ...env, MCP_BRIDGE_POOL_SIZE: "1" }).map(([k, v]) => `${k}=${v}`),
        bin,
        "serve",
      ],
      env: {},
      stderr: "pipe",
    });
    const client = new Client({ name: "rootless-test", version: "1" });
    await client.connect(transport);
    try {
      const r = await client.callTool({
        name: "run_python",
        arguments: { code: "import getpass\nprint('hello')\ngetpass.getuser()" },
      });
      expect(r.isError).toBeFalsy();
      expect(resultText(r as { content?: unknown })).toContain("hello");
      expect((r.structuredContent as { result?: string }).result).toBe("'nobody'");
    } finally {
      await client.close();
    }
    expect(existsSync(bin)).toBe(true);
  }, 120_000);
});
