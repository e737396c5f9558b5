/**
 * Attacks on allowed folders (MCP_BRIDGE_FOLDERS), against the compiled binary with real engines:
 * nothing is exposed by default; a link out of a folder, a FIFO, a device, a write, a `..` escape
 * and the host path are refused with a clear error; with that guard bypassed (raw libc calls) the
 * mount still shows nothing of the host; bridge's own folder cannot be allowed. Local engines
 * mount the folder, a remote engine (podman's API through CONTAINER_HOST) gets copies: both are
 * attacked the same way.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bridgeEnv, startBridge, tempDir, type RunningBridge } from "../support/bridge.ts";
import { ENGINES, type PodmanService, startPodmanService } from "../support/sandbox-engines.ts";

type Result = {
  content: unknown[];
  structuredContent: { status: string; output: string; error?: string };
  isError?: boolean;
};
const SECRET = `TOPSECRET-${Math.random().toString(36).slice(2)}`;

/** Prints, for each path, what `open(path).read()` gave or the exception. */
const PROBE = (paths: string[]) =>
  [
    "import os",
    `for p in ${JSON.stringify(paths)}:`,
    "    try:",
    "        print(p, '->', open(p).read().strip())",
    "    except Exception as e:",
    "        print(p, '->', type(e).__name__, e)",
  ].join("\n");

/** Raw libc open/read/write: what the kernel lets through when the audit-hook guard is not in the way. */
const BYPASS = [
  "import ctypes, os",
  "libc = ctypes.CDLL(None, use_errno=True)",
  "def raw_read(p):",
  "    fd = libc.open(p.encode(), os.O_RDONLY | os.O_NONBLOCK)",
  "    if fd < 0: return 'errno %d' % ctypes.get_errno()",
  "    buf = ctypes.create_string_buffer(4096); n = libc.read(fd, buf, 4096); libc.close(fd)",
  "    return buf.raw[:max(n, 0)].decode(errors='replace')",
  "print('link-out:', raw_read('/data/sales/out-link'))",
  "print('escape:', raw_read('/data/sales/../../' + SECRET_PATH.lstrip('/')))",
  "print('host-path:', raw_read(SECRET_PATH))",
  "fd = libc.open(b'/data/sales/planted.txt', os.O_WRONLY | os.O_CREAT, 0o644)",
  "print('write:', 'errno %d' % ctypes.get_errno() if fd < 0 else 'WROTE')",
].join("\n");

function plantFolder(root: string): { sales: string; secretPath: string } {
  const sales = join(root, "sales");
  mkdirSync(sales);
  const secretPath = join(root, "secret.txt");
  writeFileSync(secretPath, SECRET);
  writeFileSync(join(sales, "q3.csv"), "region,amount\nnorth,10\n");
  symlinkSync(secretPath, join(sales, "out-link"));
  symlinkSync("q3.csv", join(sales, "in-link"));
  Bun.spawnSync(["mkfifo", join(sales, "fifo")]);
  if (process.getuid?.() === 0) Bun.spawnSync(["mknod", join(sales, "null-dev"), "c", "1", "3"]);
  return { sales, secretPath };
}

function attacks(label: string, env: () => Record<string, string>, remote: boolean) {
  describe(label, () => {
    const root = tempDir("bridge-sec-in-");
    let planted: ReturnType<typeof plantFolder>;
    let b: RunningBridge;
    const run = async (bridge: RunningBridge, code: string) =>
      (await bridge.client.callTool({ name: "run_python", arguments: { code, timeout: 20 } }, undefined, {
        timeout: 120_000,
      })) as Result;

    beforeAll(async () => {
      planted = plantFolder(root.path);
      b = await startBridge({
        env: bridgeEnv(join(root.path, "home"), {
          ...env(),
          MCP_BRIDGE_FOLDERS: planted.sales,
          MCP_BRIDGE_TOOLS: "sandbox",
        }),
      });
    }, 60_000);
    afterAll(async () => {
      await b?.close();
      root.cleanup();
    }, 60_000);

    test("nothing is exposed by default", async () => {
      const plain = await startBridge({
        env: bridgeEnv(join(root.path, "home-plain"), { ...env(), MCP_BRIDGE_TOOLS: "sandbox" }),
      });
      try {
        const r = await run(
          plain,
          `import os\nprint(os.path.exists('/data'), ${JSON.stringify(root.path)} in open('/proc/self/mountinfo').read())\n${PROBE([planted.secretPath])}`,
        );
        expect(r.structuredContent.output).toBe(
          `False False\n${planted.secretPath} -> FileNotFoundError [Errno 2] No such file or directory: '${planted.secretPath}'\n`,
        );
      } finally {
        await plain.close();
      }
    }, 120_000);

    test("ordinary reads work; links out, FIFOs, devices, writes, '..' escapes and host paths are refused with the reason", async () => {
      const started = Date.now();
      const r = await run(
        b,
        `${PROBE(["/data/sales/q3.csv", "/data/sales/in-link", "/data/sales/out-link", "/data/sales/fifo", "/data/sales/../../etc/hostname", `${planted.sales}/q3.csv`, "/data/other/x.csv"])}
try:
    open('/data/sales/new.txt', 'w')
except Exception as e:
    print('write ->', type(e).__name__, e)
import os
print(sorted(os.listdir('/data/sales')))`,
      );
      expect(Date.now() - started).toBeLessThan(15_000); // the FIFO did not block the call
      const lines = r.structuredContent.output.trim().split("\n");
      expect(lines).toContain("/data/sales/q3.csv -> region,amount\nnorth,10".split("\n")[0]!);
      expect(lines).toContain("/data/sales/in-link -> region,amount");
      expect(lines).toContain(
        "/data/sales/out-link -> PermissionError [Errno 13] refused: a symbolic link that leads out of the allowed folder /data/sales: '/data/sales/out-link'",
      );
      expect(lines).toContain(
        "/data/sales/fifo -> PermissionError [Errno 13] refused: a FIFO, not a regular file: '/data/sales/fifo'",
      );
      expect(lines).toContain(
        "/data/sales/../../etc/hostname -> PermissionError [Errno 13] refused: '..' leads out of the allowed folders (/data/sales): '/data/sales/../../etc/hostname'",
      );
      expect(lines).toContain(
        `${planted.sales}/q3.csv -> FileNotFoundError [Errno 2] this is a path on the user's machine; in the sandbox it is /data/sales/q3.csv: '${planted.sales}/q3.csv'`,
      );
      expect(lines).toContain(
        "/data/other/x.csv -> FileNotFoundError [Errno 2] no allowed folder at /data/other; the allowed ones are /data/sales (the user allows folders with MCP_BRIDGE_FOLDERS): '/data/other/x.csv'",
      );
      expect(lines).toContain(
        "write -> PermissionError [Errno 13] allowed folders are read-only; write files to /output and they come back as results: '/data/sales/new.txt'",
      );
      expect(r.structuredContent.output).not.toContain(SECRET);
    }, 120_000);

    test.skipIf(remote || process.getuid?.() !== 0)(
      "a device node in the folder is refused",
      async () => {
        const r = await run(b, PROBE(["/data/sales/null-dev"]));
        expect(r.structuredContent.output).toBe(
          "/data/sales/null-dev -> PermissionError [Errno 13] refused: a device, not a regular file: '/data/sales/null-dev'\n",
        );
      },
      120_000,
    );

    test("with the guard bypassed (raw libc calls) the host's files stay out of reach and the allowed folder is never written", async () => {
      const r = await run(b, `SECRET_PATH = ${JSON.stringify(planted.secretPath)}\n${BYPASS}`);
      expect(r.structuredContent.status).toBe("ok");
      const out = r.structuredContent.output;
      expect(out).not.toContain(SECRET);
      expect(out).toMatch(/^link-out: errno \d+$/m);
      expect(out).toMatch(/^host-path: errno 2$/m);
      if (!remote)
        expect(out).toMatch(/^write: errno 30$/m); // EROFS: the bind mount is read-only
      else {
        // A remote engine's copy lives in the container's tmpfs: a write changes that call's copy only.
        expect(out).toMatch(/^write: WROTE$/m);
        const next = await run(b, "import os\nos.path.exists('/data/sales/planted.txt')");
        expect(next.structuredContent).toMatchObject({ status: "ok" });
        expect((next.structuredContent as { result?: string }).result).toBe("False");
      }
      expect(existsSync(join(planted.sales, "planted.txt"))).toBe(false);
    }, 120_000);

    test("bridge's own folder (the queue secret) cannot be allowed", async () => {
      const home = join(root.path, "home-bad");
      mkdirSync(home, { recursive: true });
      const bad = await startBridge({
        env: bridgeEnv(home, { ...env(), MCP_BRIDGE_FOLDERS: root.path, MCP_BRIDGE_TOOLS: "sandbox" }),
      });
      try {
        const r = await run(bad, "print(1)");
        expect(r.isError).toBe(true);
        expect(JSON.stringify(r)).toContain("holds bridge's own files");
      } finally {
        await bad.close();
      }
    }, 120_000);
  });
}

for (const { engine, usable } of ENGINES) {
  if (!usable) {
    describe.skip(`allowed folders on ${engine} (SKIPPED: ${engine} is not installed or not answering)`, () => {
      test("skipped", () => {});
    });
    continue;
  }
  attacks(`allowed folders on ${engine} (bind mount)`, () => ({ MCP_BRIDGE_ENGINE: engine }), false);
}

const podman = ENGINES.find((e) => e.engine === "podman")?.usable ?? false;
if (podman) {
  const svc = tempDir("bridge-sec-remote-");
  const socket = join(svc.path, "podman.sock");
  let service: PodmanService | undefined;
  beforeAll(async () => {
    chmodSync(svc.path, 0o700);
    service = await startPodmanService(socket);
  }, 60_000);
  afterAll(async () => {
    await service?.stop();
    svc.cleanup();
  });
  attacks(
    "allowed folders on a remote podman (CONTAINER_HOST: copied, not mounted)",
    () => ({ MCP_BRIDGE_ENGINE: "podman", CONTAINER_HOST: `unix://${socket}` }),
    true,
  );
}
