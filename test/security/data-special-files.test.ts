/**
 * FIFOs and unix sockets in an allowed folder (MCP_BRIDGE_FOLDERS), against the compiled binary on
 * local engines: a read-only bind mount does not stop a write into a FIFO or a connect to a socket,
 * so a host process listening on one would talk with the sandbox past `--network none`. With the
 * Python open() guard bypassed (raw libc), a host reader of an o+w FIFO must receive nothing and a
 * host listener (stream: node, datagram: python3) on a mode-777 socket must see nothing, while the
 * runtime's own socket needs (socketpair, asyncio, multiprocessing pipes) keep working. Also: with
 * no-new-privileges off (no in-container filter possible) folders are refused, not mounted.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, constants, mkdirSync, openSync, readSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { bridgeEnv, startBridge, tempDir, type RunningBridge } from "../support/bridge.ts";
import { ENGINES, waitFor } from "../support/sandbox-engines.ts";

type Result = {
  content: unknown[];
  structuredContent: { status: string; output: string; error?: string };
  isError?: boolean;
};

/** Raw libc calls: what the kernel lets through when the Python guard is not in the way. */
const ATTACK = [
  "import ctypes, os, socket, stat",
  "libc = ctypes.CDLL(None, use_errno=True)",
  "fd = libc.open(b'/data/sales/fifo', os.O_WRONLY | os.O_NONBLOCK)",
  "if fd < 0: print('fifo-open: errno %d' % ctypes.get_errno())",
  "else: print('fifo-write: %d' % libc.write(fd, b'SANDBOX-FIFO-MARK', 17)); libc.close(fd)",
  "s = libc.socket(socket.AF_UNIX, socket.SOCK_STREAM, 0)",
  "if s < 0: print('stream-socket: errno %d' % ctypes.get_errno())",
  "else:",
  "    addr = ctypes.create_string_buffer(110); addr[0:2] = (1).to_bytes(2, 'little'); addr[2:2+22] = b'/data/sales/agent.sock'",
  "    if libc.connect(s, addr, 110) < 0: print('stream-connect: errno %d' % ctypes.get_errno())",
  "    else:",
  "        libc.write(s, b'SANDBOX-SOCK-MARK', 17); buf = ctypes.create_string_buffer(64); n = libc.read(s, buf, 64)",
  "        print('stream-got: %r' % buf.raw[:max(n, 0)])",
  "try:",
  "    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)",
  "    a.sendto(b'SANDBOX-DGRAM-MARK', '/data/sales/dgram.sock'); print('dgram-sent')",
  "except OSError as e: print('dgram: errno %d' % e.errno)",
  "for p in ('fifo', 'agent.sock', 'dgram.sock'):",
  "    m = os.lstat('/data/sales/' + p).st_mode",
  "    print(p, 'fifo' if stat.S_ISFIFO(m) else 'socket' if stat.S_ISSOCK(m) else 'file' if stat.S_ISREG(m) else 'other')",
].join("\n");

/** What the runtime and ordinary code need from unix sockets, which must keep working. */
const NEEDS = [
  "import asyncio, multiprocessing, socket",
  "a, b = socket.socketpair(); a.sendall(b'x'); print('socketpair', b.recv(1))",
  "r, w = multiprocessing.Pipe(); w.send('y'); print('pipe', r.recv())",
  "async def main(): await asyncio.sleep(0); return 'z'",
  "print('asyncio', asyncio.run(main()))",
  "try: open('/data/sales/fifo')",
  "except Exception as e: print('guard:', e)",
].join("\n");

const DGRAM_LISTENER = [
  "import os, socket, sys",
  "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777)",
  "print('ready', flush=True)",
  "while True: print('got', s.recv(100), flush=True)",
].join("\n");

function specialFiles(label: string, engine: string) {
  describe(label, () => {
    const root = tempDir("bridge-sec-special-");
    const sales = join(root.path, "sales");
    const fifo = join(sales, "fifo");
    let b: RunningBridge;
    let server: Server;
    let dgram: ReturnType<typeof Bun.spawn>;
    let dgramOut = "";
    let fifoFd = -1;
    const connections: string[] = [];
    const run = async (code: string) =>
      (await b.client.callTool({ name: "run_python", arguments: { code, timeout: 30 } }, undefined, {
        timeout: 120_000,
      })) as Result;
    const drainFifo = () => {
      const buf = Buffer.alloc(4096);
      let got = "";
      for (;;) {
        try {
          const n = readSync(fifoFd, buf, 0, buf.length, null);
          if (n <= 0) return got;
          got += buf.subarray(0, n).toString();
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === "EAGAIN") return got;
          throw err;
        }
      }
    };

    beforeAll(async () => {
      mkdirSync(sales);
      chmodSync(root.path, 0o755);
      chmodSync(sales, 0o755);
      Bun.spawnSync(["mkfifo", "-m", "666", fifo]);
      chmodSync(fifo, 0o666);
      fifoFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK); // a host process reading it
      server = createServer((sock) => {
        connections.push("connected");
        sock.on("data", (d) => connections.push(d.toString()));
        sock.write("HOST-SAYS-HELLO");
      });
      await new Promise<void>((ok) => server.listen(join(sales, "agent.sock"), ok));
      chmodSync(join(sales, "agent.sock"), 0o777);
      dgram = Bun.spawn(["python3", "-c", DGRAM_LISTENER, join(sales, "dgram.sock")], {
        stdout: "pipe",
        stderr: "inherit",
      });
      void (async () => {
        for await (const chunk of dgram.stdout as ReadableStream<Uint8Array>)
          dgramOut += new TextDecoder().decode(chunk);
      })();
      if (!(await waitFor(() => dgramOut.includes("ready"), 20_000)))
        throw new Error("python3 datagram listener did not start");
      b = await startBridge({
        env: bridgeEnv(join(root.path, "home"), {
          MCP_BRIDGE_ENGINE: engine,
          MCP_BRIDGE_FOLDERS: sales,
          MCP_BRIDGE_TOOLS: "sandbox",
        }),
      });
    }, 60_000);
    afterAll(async () => {
      await b?.close();
      server?.close();
      dgram?.kill();
      await dgram?.exited;
      if (fifoFd >= 0) closeSync(fifoFd);
      root.cleanup();
    }, 60_000);

    test("a host reader of an o+w FIFO and host listeners on mode-777 sockets receive nothing from raw libc calls", async () => {
      const r = await run(ATTACK);
      expect(r.structuredContent.status).toBe("ok");
      const out = r.structuredContent.output;
      await Bun.sleep(500); // anything sent would have arrived by now
      expect(drainFifo()).toBe("");
      expect(connections).toEqual([]);
      expect(dgramOut).toBe("ready\n");
      expect(out).not.toContain("HOST-SAYS-HELLO");
      expect(out).toMatch(/^fifo-open: errno (13|30)$/m); // the FIFO is masked by a read-only empty file
      expect(out).toMatch(/^stream-socket: errno 1$/m); // EPERM: socket(AF_UNIX) refused by the runtime's filter
      expect(out).toMatch(/^dgram: errno 1$/m); // EPERM: a datagram socketpair could sendto() a path
      expect(out).toContain("fifo file\nagent.sock file\ndgram.sock file\n");
    }, 120_000);

    test("socketpair, multiprocessing pipes and asyncio still work; the guard names what was hidden", async () => {
      const r = await run(NEEDS);
      expect(r.structuredContent.output).toBe(
        "socketpair b'x'\npipe y\nasyncio z\nguard: [Errno 13] refused: a FIFO, not a regular file: '/data/sales/fifo'\n",
      );
    }, 120_000);

    test("with no-new-privileges off (no in-container filter) allowed folders are refused, not mounted", async () => {
      const off = await startBridge({
        env: bridgeEnv(join(root.path, "home-nnp"), {
          MCP_BRIDGE_ENGINE: engine,
          MCP_BRIDGE_FOLDERS: sales,
          MCP_BRIDGE_TOOLS: "sandbox",
          MCP_BRIDGE_NO_NEW_PRIVILEGES: "false",
        }),
      });
      try {
        const res = (await off.client.callTool({ name: "run_python", arguments: { code: "print(1)" } }, undefined, {
          timeout: 120_000,
        })) as Result;
        expect(res.isError).toBe(true);
        expect(JSON.stringify(res)).toContain("MCP_BRIDGE_NO_NEW_PRIVILEGES");
      } finally {
        await off.close();
      }
    }, 120_000);
  });
}

for (const { engine, usable } of ENGINES) {
  if (!usable) {
    describe.skip(`special files in allowed folders on ${engine} (SKIPPED: ${engine} is not installed or not answering)`, () => {
      test("skipped", () => {});
    });
    continue;
  }
  specialFiles(`special files in allowed folders on ${engine} (bind mount)`, engine);
}
