/**
 * Read-write allowed folders (`MCP_BRIDGE_FOLDERS=PATH:rw`), against the compiled binary with real
 * engines: code writes a rw folder with ordinary Python and raw libc and the host sees the files
 * (kept between calls); a read-only folder next to it still refuses writes; links out of the rw
 * folder (planted on the host), `..` escapes and special files are refused by the guard, and with
 * the guard bypassed (raw libc) the bind mount keeps every write inside the folder — the link
 * targets on the host stay untouched; sandbox code cannot plant links or FIFOs there (mknod and
 * symlink are refused), nor set-uid/set-gid files for host users; a rw folder the sandbox's user may not write says how to fix it; a rw
 * folder overlapping the output folder, and a rw folder on a remote engine, are refused at start.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bridgeEnv, startBridge, tempDir, type RunningBridge } from "../support/bridge.ts";
import { ENGINES, type PodmanService, startPodmanService } from "../support/sandbox-engines.ts";

type Result = {
  content: unknown[];
  structuredContent: { status: string; output: string; result?: string; error?: string };
  isError?: boolean;
};

const UNTOUCHED = `UNTOUCHED-${Math.random().toString(36).slice(2)}`;
const ESCAPE_NAME = `bridge-rw-escape-${Math.random().toString(36).slice(2)}.txt`;

/** Prints, for each (path, mode), whether open() worked or the exception. */
const OPEN_PROBE = (cases: Array<[string, string]>) =>
  [
    `for p, m in ${JSON.stringify(cases)}:`,
    "    try:",
    "        open(p, m).close(); print(p, m, '-> OPENED')",
    "    except Exception as e:",
    "        print(p, m, '->', type(e).__name__, e)",
  ].join("\n");

/** Raw libc calls: what the kernel lets through when the audit-hook guard is not in the way. */
const RAW = [
  "import ctypes, os",
  "libc = ctypes.CDLL(None, use_errno=True)",
  "def raw_write(p, data=b'RAW-WRITE'):",
  "    fd = libc.open(p.encode(), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NONBLOCK, 0o644)",
  "    if fd < 0: return 'errno %d' % ctypes.get_errno()",
  "    libc.write(fd, data, len(data)); libc.close(fd); return 'WROTE'",
  "def rc(r): return 'errno %d' % ctypes.get_errno() if r < 0 else 'OK'",
].join("\n");

function plant(root: string) {
  const rw = join(root, "rw");
  const ro = join(root, "ro");
  const locked = join(root, "locked");
  const outside = join(root, "outside");
  for (const d of [rw, ro, locked, outside]) mkdirSync(d);
  chmodSync(rw, 0o777); // the sandbox runs as uid 65534: the folder must be writable by it
  writeFileSync(join(ro, "x.csv"), "a,b\n");
  writeFileSync(join(outside, "target.txt"), UNTOUCHED);
  symlinkSync(join(outside, "target.txt"), join(rw, "out-link"));
  symlinkSync(outside, join(rw, "out-dir"));
  Bun.spawnSync(["mkfifo", "-m", "666", join(rw, "fifo")]);
  return { rw, ro, locked, outside };
}

function readWrite(label: string, engine: "podman" | "docker") {
  describe(label, () => {
    const root = tempDir("bridge-sec-rw-");
    let dirs: ReturnType<typeof plant>;
    let b: RunningBridge;
    const run = async (bridge: RunningBridge, code: string) =>
      (await bridge.client.callTool({ name: "run_python", arguments: { code, timeout: 30 } }, undefined, {
        timeout: 120_000,
      })) as Result;

    beforeAll(async () => {
      dirs = plant(root.path);
      b = await startBridge({
        env: bridgeEnv(join(root.path, "home"), {
          MCP_BRIDGE_ENGINE: engine,
          MCP_BRIDGE_FOLDERS: `${dirs.rw}:rw,${dirs.ro},${dirs.locked}:rw`,
          MCP_BRIDGE_TOOLS: "sandbox",
        }),
      });
    }, 60_000);
    afterAll(async () => {
      await b?.close();
      root.cleanup();
    }, 60_000);

    test("the model is told which folders it may write", () => {
      expect(b.client.getInstructions()).toContain(
        `It can read and write the user's folders /data/rw (${dirs.rw}), /data/locked (${dirs.locked}): changes there are the user's files, kept.`,
      );
    });

    test("open(..., 'w') and raw libc writes land in the host folder as the sandbox's user, and the next call sees them", async () => {
      const r = await run(
        b,
        `${RAW}
with open('/data/rw/report.txt', 'w') as f:
    f.write('from the sandbox')
os.makedirs('/data/rw/sub/deeper')
with open('/data/rw/sub/deeper/n.txt', 'w') as f:
    f.write('nested')
print('raw:', raw_write('/data/rw/raw.txt'))`,
      );
      expect(r.structuredContent.status, r.structuredContent.error).toBe("ok");
      expect(r.structuredContent.output).toBe("raw: WROTE\n");
      expect(readFileSync(join(dirs.rw, "report.txt"), "utf8")).toBe("from the sandbox");
      expect(readFileSync(join(dirs.rw, "sub/deeper/n.txt"), "utf8")).toBe("nested");
      expect(readFileSync(join(dirs.rw, "raw.txt"), "utf8")).toBe("RAW-WRITE");
      // Rootful engines: the container's uid 65534 is the host's; the umask leaves the files 644.
      const st = statSync(join(dirs.rw, "report.txt"));
      if (process.getuid?.() === 0) expect(st.uid).toBe(65534);
      expect(st.mode & 0o777).toBe(0o644);
      // The folder is the user's data: a reset does not wipe it.
      const next = await run(b, "open('/data/rw/report.txt').read()");
      expect(next.structuredContent.result).toBe("'from the sandbox'");
    }, 120_000);

    test("a read-only folder next to it still refuses writes, with the guard and without it (EROFS)", async () => {
      const r = await run(
        b,
        `${RAW}\n${OPEN_PROBE([
          ["/data/ro/new.txt", "w"],
          ["/data/ro/x.csv", "a"],
        ])}\nprint('raw:', raw_write('/data/ro/raw.txt'))`,
      );
      const where =
        "write to the read-write folders /data/rw, /data/locked, or to /output (files there come back as results)";
      expect(r.structuredContent.output).toBe(
        [
          `/data/ro/new.txt w -> PermissionError [Errno 13] /data/ro is read-only; ${where}: '/data/ro/new.txt'`,
          `/data/ro/x.csv a -> PermissionError [Errno 13] /data/ro is read-only; ${where}: '/data/ro/x.csv'`,
          "raw: errno 30",
          "",
        ].join("\n"),
      );
      expect(readdirSync(dirs.ro)).toEqual(["x.csv"]);
      expect(readFileSync(join(dirs.ro, "x.csv"), "utf8")).toBe("a,b\n");
    }, 120_000);

    test("links out of the folder, '..' and special files are refused by the guard", async () => {
      const r = await run(
        b,
        OPEN_PROBE([
          ["/data/rw/out-link", "w"],
          ["/data/rw/out-dir/new.txt", "w"],
          ["/data/rw/../../tmp/x.txt", "w"],
          ["/data/rw/fifo", "w"],
        ]),
      );
      expect(r.structuredContent.output.trim().split("\n")).toEqual([
        "/data/rw/out-link w -> PermissionError [Errno 13] refused: a symbolic link that leads out of the allowed folder /data/rw: '/data/rw/out-link'",
        "/data/rw/out-dir/new.txt w -> PermissionError [Errno 13] refused: a symbolic link that leads out of the allowed folder /data/rw: '/data/rw/out-dir/new.txt'",
        "/data/rw/../../tmp/x.txt w -> PermissionError [Errno 13] refused: '..' leads out of the allowed folders (/data/rw, /data/ro, /data/locked): '/data/rw/../../tmp/x.txt'",
        "/data/rw/fifo w -> PermissionError [Errno 13] refused: a FIFO, not a regular file: '/data/rw/fifo'",
      ]);
    }, 120_000);

    test("with the guard bypassed (raw libc), nothing escapes the folder: host link targets stay untouched, no link, FIFO or hard link can be planted", async () => {
      const r = await run(
        b,
        `${RAW}
print('via-link:', raw_write('/data/rw/out-link'))
print('via-dir-link:', raw_write('/data/rw/out-dir/new.txt'))
print('dotdot:', raw_write('/data/rw/../../tmp/${ESCAPE_NAME}'))
print('fifo:', raw_write('/data/rw/fifo'))
print('symlink:', rc(libc.symlink(b'${dirs.outside}/target.txt', b'/data/rw/planted-link')))
print('symlink-rel:', rc(libc.symlink(b'../outside/target.txt', b'/data/rw/planted-rel')))
print('mkfifo:', rc(libc.mkfifo(b'/data/rw/planted-fifo', 0o666)))
print('mknod:', rc(libc.mknod(b'/data/rw/planted-node', 0o10666, 0)))
print('hardlink:', rc(libc.link(b'/data/ro/x.csv', b'/data/rw/planted-hard')))
print('rename-out:', rc(libc.rename(b'/data/rw/out-link', b'/tmp/moved')))`,
      );
      expect(r.structuredContent.status, r.structuredContent.error).toBe("ok");
      const out = r.structuredContent.output;
      // The host's absolute link target does not exist in the container: nothing to write to.
      expect(out).toMatch(/^via-link: errno 2$/m);
      expect(out).toMatch(/^via-dir-link: errno 2$/m);
      // '..' from /data/rw leads to the container's own /tmp (a tmpfs), never the host's.
      expect(out).toMatch(/^dotdot: WROTE$/m);
      expect(out).toMatch(/^fifo: errno 30$/m); // covered by a read-only empty file
      for (const what of ["symlink", "symlink-rel", "mkfifo", "mknod"])
        expect(out).toMatch(new RegExp(`^${what}: errno 1$`, "m"));
      expect(out).toMatch(/^hardlink: errno 18$/m); // EXDEV: another mount
      expect(out).toMatch(/^rename-out: errno 18$/m);
      expect(readFileSync(join(dirs.outside, "target.txt"), "utf8")).toBe(UNTOUCHED);
      expect(readdirSync(dirs.outside)).toEqual(["target.txt"]);
      expect(existsSync(join(tmpdir(), ESCAPE_NAME))).toBe(false);
      expect(existsSync(join(root.path, "tmp"))).toBe(false);
      for (const planted of ["planted-link", "planted-rel", "planted-fifo", "planted-node", "planted-hard"])
        expect(existsSync(join(dirs.rw, planted)), planted).toBe(false);
    }, 120_000);

    test("no set-uid or set-gid file is left for host users (nosuid binds only inside the container): chmod, fchmod, fchmodat refuse those bits, other modes work", async () => {
      const r = await run(
        b,
        `${RAW}
print('plain:', raw_write('/data/rw/tool', b'#!/bin/sh\\nid\\n'))
print('chmod-suid:', rc(libc.chmod(b'/data/rw/tool', 0o4755)))
print('chmod-sgid:', rc(libc.chmod(b'/data/rw/tool', 0o2755)))
fd = os.open('/data/rw/tool', os.O_RDONLY)
print('fchmod-suid:', rc(libc.fchmod(fd, 0o6755)))
os.close(fd)
print('fchmodat-suid:', rc(libc.fchmodat(-100, b'/data/rw/tool', 0o4755, 0)))
print('fchmodat2-suid:', rc(libc.syscall(452, -100, b'/data/rw/tool', 0o4755, 0)) if libc.syscall(452, -100, b'/data/rw/tool', 0o755, 0) == 0 else 'absent')
print('chmod-exec:', rc(libc.chmod(b'/data/rw/tool', 0o755)))`,
      );
      expect(r.structuredContent.status, r.structuredContent.error).toBe("ok");
      const out = r.structuredContent.output;
      expect(out).toMatch(/^plain: WROTE$/m);
      for (const what of ["chmod-suid", "chmod-sgid", "fchmod-suid", "fchmodat-suid"])
        expect(out).toMatch(new RegExp(`^${what}: errno 1$`, "m"));
      expect(out).toMatch(/^fchmodat2-suid: (errno 1|absent)$/m); // fchmodat2 is Linux 6.6+
      expect(out).toMatch(/^chmod-exec: OK$/m);
      expect(statSync(join(dirs.rw, "tool")).mode & 0o7777).toBe(0o755);
    }, 120_000);

    test("a read-write folder the sandbox's user may not write says so and how to fix it", async () => {
      const r = await run(
        b,
        `${RAW}\n${OPEN_PROBE([["/data/locked/new.txt", "w"]])}\nprint('raw:', raw_write('/data/locked/raw.txt'))`,
      );
      expect(r.structuredContent.output).toBe(
        `/data/locked/new.txt w -> PermissionError [Errno 13] /data/locked is allowed read-write, but the sandbox's user (uid 65534) may not write /data/locked (mode 755): on the user's machine, make it writable for others (chmod o+w ${dirs.locked}) or for the uid the sandbox's files get there (an ACL): '/data/locked/new.txt'\nraw: errno 13\n`,
      );
      expect(readdirSync(dirs.locked)).toEqual([]);
    }, 120_000);

    test("a read-write folder that holds the output folder is refused at start (bridge saves result files there)", async () => {
      const other = tempDir("bridge-sec-rw-out-");
      const work = join(other.path, "work");
      mkdirSync(join(work, "reports"), { recursive: true });
      const bad = await startBridge({
        env: bridgeEnv(join(other.path, "home"), {
          MCP_BRIDGE_ENGINE: engine,
          MCP_BRIDGE_FOLDERS: `${work}:rw`,
          MCP_BRIDGE_OUTPUT_FOLDER: join(work, "reports"),
          MCP_BRIDGE_TOOLS: "sandbox",
        }),
      });
      try {
        const r = await run(bad, "print(1)");
        expect(r.isError).toBe(true);
        expect(JSON.stringify(r)).toContain(
          `MCP_BRIDGE_FOLDERS: ${work} is allowed read-write and contains MCP_BRIDGE_OUTPUT_FOLDER (${join(work, "reports")})`,
        );
      } finally {
        await bad.close();
        other.cleanup();
      }
    }, 120_000);
  });
}

for (const { engine, usable } of ENGINES) {
  if (!usable) {
    describe.skip(`read-write folders on ${engine} (SKIPPED: ${engine} is not installed or not answering)`, () => {
      test("skipped", () => {});
    });
    continue;
  }
  readWrite(`read-write folders on ${engine} (bind mount)`, engine);
}

const podman = ENGINES.find((e) => e.engine === "podman")?.usable ?? false;
describe.skipIf(!podman)(
  `read-write folders on a remote podman (CONTAINER_HOST)${podman ? "" : " (SKIPPED: podman is not installed or not answering)"}`,
  () => {
    const svc = tempDir("bridge-sec-rw-remote-");
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

    test("a ':rw' folder fails the call with a clear error (copies could not keep writes); read-only still works", async () => {
      const rw = join(svc.path, "rw");
      mkdirSync(rw);
      chmodSync(rw, 0o777);
      writeFileSync(join(rw, "a.txt"), "a");
      const env = (folders: string, home: string) =>
        bridgeEnv(join(svc.path, home), {
          MCP_BRIDGE_ENGINE: "podman",
          CONTAINER_HOST: `unix://${socket}`,
          MCP_BRIDGE_FOLDERS: folders,
          MCP_BRIDGE_TOOLS: "sandbox",
        });
      const b = await startBridge({ env: env(`${rw}:rw`, "home-rw") });
      try {
        const r = (await b.client.callTool(
          { name: "run_python", arguments: { code: "open('/data/rw/b.txt', 'w').write('b')" } },
          undefined,
          { timeout: 120_000 },
        )) as Result;
        expect(r.isError).toBe(true);
        const text = JSON.stringify(r);
        expect(text).toContain(
          `MCP_BRIDGE_FOLDERS: ${rw} is allowed read-write, but the container engine is remote (podman through CONTAINER_HOST, podman-remote or a podman machine)`,
        );
        expect(text).toContain("drop ':rw'");
        expect(readdirSync(rw)).toEqual(["a.txt"]);
      } finally {
        await b.close();
      }
      const ro = await startBridge({ env: env(rw, "home-ro") });
      try {
        const r = (await ro.client.callTool(
          { name: "run_python", arguments: { code: "open('/data/rw/a.txt').read()" } },
          undefined,
          { timeout: 120_000 },
        )) as Result;
        expect(r.structuredContent.result).toBe("'a'");
      } finally {
        await ro.close();
      }
    }, 180_000);
  },
);
