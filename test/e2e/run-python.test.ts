/**
 * run_python end to end: the compiled `dist/bridge serve`, the SDK Client over stdio, and real
 * containers, once per engine (podman and docker; an engine that is not installed is skipped and the
 * test name says so).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { BRIDGE_BIN, bridgeEnv, resultText, startBridge, tempDir, type RunningBridge } from "../support/bridge.ts";
import { ENGINES, containersOwnedBy, containersWithId, waitFor, type Engine } from "../support/sandbox-engines.ts";
import { effectiveHints } from "../../src/mcp/tool-def.ts";

type Structured = {
  status: string;
  output: string;
  result?: string;
  error?: string;
  exit_code?: number;
  truncated?: boolean;
};
type Result = {
  content: Array<{ type: string; text?: string; data?: string; mimeType?: string }>;
  structuredContent?: Structured;
  isError?: boolean;
};

async function run(
  b: RunningBridge,
  args: Record<string, unknown>,
  opts: { onprogress?: (p: { message?: string }) => void; signal?: AbortSignal } = {},
): Promise<Result> {
  return (await b.client.callTool({ name: "run_python", arguments: args }, undefined, {
    timeout: 180_000,
    ...opts,
  })) as Result;
}
const s = (r: Result) => r.structuredContent!;

for (const { engine, usable } of ENGINES) {
  describe.skipIf(!usable)(
    `run_python on ${engine}${usable ? "" : ` (SKIPPED: ${engine} is not installed or not answering)`}`,
    () => {
      const root = tempDir();
      // The directory the client starts serve in (a user's project): bridge must leave nothing there.
      const project = tempDir("bridge-project-");
      let b: RunningBridge;
      const env = (extra: Record<string, string> = {}) =>
        bridgeEnv(root.path, { MCP_BRIDGE_ENGINE: engine as Engine, ...extra });

      beforeAll(async () => {
        b = await startBridge({ env: env(), cwd: project.path });
      });
      afterAll(async () => {
        const pid = b?.pid();
        await b?.close();
        if (pid) {
          // serve's shutdown removes every container it started.
          const clean = await waitFor(() => containersOwnedBy(engine, pid).length === 0, 10_000);
          expect(clean ? [] : containersOwnedBy(engine, pid)).toEqual([]);
        }
        root.cleanup();
        project.cleanup();
      }, 120_000);

      test("lists run_python: annotations that mean what it does, no output schema (docs/tools.md)", async () => {
        const { tools } = await b.client.listTools();
        const tool = tools.find((t) => t.name === "run_python")!;
        expect(tool.outputSchema).toBeUndefined();
        expect(effectiveHints(tool.annotations)).toEqual({
          readOnly: false,
          destructive: true,
          idempotent: false,
          openWorld: true,
        });
      }, 120_000);

      test("print is byte-faithful (blank lines kept)", async () => {
        const r = await run(b, { code: 'print("a")\nprint()\nprint()\nprint("  b  ")\nprint("é ✓ 🙂")' });
        expect(r.isError).toBeFalsy();
        expect(s(r).status).toBe("ok");
        expect(s(r).output).toBe("a\n\n\n  b  \né ✓ 🙂\n");
      }, 120_000);

      test("binary and invalid UTF-8 output cannot break the result", async () => {
        const r = await run(b, {
          code: "import os\nos.write(1, bytes(range(256)) + b'\\xff\\xfe\\n')\nos.write(2, b'\\x00err\\n')\n'fine'",
        });
        expect(s(r).status).toBe("ok");
        expect(s(r).result).toBe("'fine'");
        expect(s(r).output).toContain("\uFFFD");
        expect(s(r).output.endsWith("\u0000err\n")).toBe(true);
      }, 120_000);

      test("an exception is isError with the traceback", async () => {
        const r = await run(b, { code: "def f():\n    raise ValueError('boom')\nf()" });
        expect(r.isError).toBe(true);
        expect(s(r).status).toBe("error");
        expect(s(r).error).toContain("Traceback (most recent call last)");
        expect(s(r).error).toContain("ValueError: boom");
        expect(s(r).error).toContain("line 2, in f");
        expect(resultText(r)).toContain("ValueError: boom");
      }, 120_000);

      test("SystemExit is reported with its code", async () => {
        const r = await run(b, { code: "print('bye')\nraise SystemExit(3)" });
        expect(s(r)).toMatchObject({ status: "exit", exit_code: 3, output: "bye\n" });
        expect(r.isError).toBe(true);
        const zero = await run(b, { code: "import sys\nsys.exit(0)" });
        expect(s(zero)).toMatchObject({ status: "exit", exit_code: 0 });
        expect(zero.isError).toBeFalsy();
      }, 120_000);

      test("the final expression's value is returned", async () => {
        const r = await run(b, { code: "x = 20\nx * 2 + 2" });
        expect(s(r).result).toBe("42");
        expect(resultText(r)).toContain("42");
        const none = await run(b, { code: "None" });
        expect(s(none).result).toBeUndefined();
      }, 120_000);

      test("huge values and exception messages are capped, not fatal", async () => {
        const v = await run(b, { code: "'x' * 3_000_000" });
        expect(s(v).status).toBe("ok");
        expect(s(v).result!.startsWith("'xxx")).toBe(true);
        // One note (the sandbox's own wider cut is removed by the cut to what the client sees), with the full size, and the tail in view.
        expect(s(v).result).toContain("result repr cut to fit 24 KiB: it was 3000002 bytes");
        expect(s(v).result!.match(/cut/g)).toHaveLength(1);
        expect(s(v).result!.endsWith("xxx'")).toBe(true);
        expect(Buffer.byteLength(s(v).result!)).toBeLessThan(110 * 1024);
        const e = await run(b, { code: "raise ValueError('y' * 3_000_000)" });
        expect(s(e).status).toBe("error");
        expect(s(e).error).toContain("ValueError: yyy");
        expect(s(e).error).toMatch(/error text cut to fit 24 KiB: it was 3000\d{3} bytes/);
        expect(s(e).error!.match(/cut/g)).toHaveLength(1);
        expect(Buffer.byteLength(s(e).error!)).toBeLessThan(110 * 1024);
        expect(s(await run(b, { code: "1" })).result).toBe("1");
      }, 120_000);

      test("top-level await works", async () => {
        const r = await run(b, {
          code: "import asyncio\nasync def g(i):\n    await asyncio.sleep(0.01)\n    return i\nawait asyncio.gather(*(g(i) for i in range(3)))",
        });
        expect(s(r)).toMatchObject({ status: "ok", result: "[0, 1, 2]" });
      }, 120_000);

      test("timeout: status timeout, partial output, container gone", async () => {
        const r = await run(b, {
          code: "import socket, time\nprint(socket.gethostname(), flush=True)\nprint('partial', flush=True)\ntime.sleep(60)",
          timeout: 3,
        });
        expect(s(r).status).toBe("timeout");
        expect(r.isError).toBe(true);
        const [id, partial] = s(r).output.split("\n");
        expect(partial).toBe("partial");
        expect(s(r).error).toContain("timed out");
        expect(containersWithId(engine, id!)).toEqual([]);
      }, 120_000);

      test("10 MB printed is capped with a note giving the full size", async () => {
        const r = await run(b, { code: "import sys\nsys.stdout.write('x' * (10 * 1024 * 1024))\nprint('END')" });
        expect(s(r).status).toBe("ok");
        expect(s(r).truncated).toBe(true);
        const out = s(r).output;
        expect(Buffer.byteLength(out)).toBeLessThan(110 * 1024);
        expect(out.includes(`the code wrote 10 MiB (${10 * 1024 * 1024 + 4} bytes)`)).toBe(true);
        expect(out.startsWith("xxxx")).toBe(true);
        expect(out.endsWith("xxEND\n")).toBe(true);
      }, 120_000);

      test("8 concurrent calls each get exactly their own output", async () => {
        const calls = Array.from({ length: 8 }, (_, i) =>
          run(b, {
            code: `import time\nfor k in range(200):\n    print("call-${i}", k)\n    if k % 50 == 0: time.sleep(0.01)\n${i}`,
          }),
        );
        const results = await Promise.all(calls);
        results.forEach((r, i) => {
          const expected = Array.from({ length: 200 }, (_, k) => `call-${i} ${k}\n`).join("");
          expect(s(r).output).toBe(expected);
          expect(s(r).result).toBe(String(i));
        });
      }, 120_000);

      test("long concurrent calls run in parallel, each in its own container", async () => {
        // Judged from inside (start and end of each sleep, hostname), not by the wall clock: on a
        // loaded machine the 3rd and 4th call may wait seconds for a container to start.
        const results = await Promise.all(
          Array.from({ length: 4 }, () =>
            run(b, {
              code: "import json, socket, time\nt0 = time.time()\ntime.sleep(3)\nprint(json.dumps([socket.gethostname(), t0, time.time()]))",
            }),
          ),
        );
        const spans = results.map((r) => JSON.parse(s(r).output) as [string, number, number]);
        const overlapping = spans.flatMap((a, i) =>
          spans
            .slice(i + 1)
            .filter((b) => a[1] < b[2] && b[1] < a[2])
            .map((b) => [a, b]),
        );
        expect(overlapping.length).toBeGreaterThan(0); // at least two ran at the same time
        for (const [a, b] of overlapping) expect(a![0]).not.toBe(b![0]); // never two at once in one container
      }, 120_000);

      test("a session keeps variables; a call without the session does not see them", async () => {
        const name = `t-${engine}`;
        expect(s(await run(b, { code: "secret = 41", session: name })).status).toBe("ok");
        expect(s(await run(b, { code: "secret + 1", session: name })).result).toBe("42");
        const outside = await run(b, { code: "secret" });
        expect(s(outside).status).toBe("error");
        expect(s(outside).error).toContain("NameError");
        const files = await run(b, {
          code: "import os\nopen('/tmp/left', 'w').write('x')\nsorted(os.listdir('/tmp') + os.listdir('/workspace'))",
        });
        expect(s(files).status).toBe("ok");
        const fresh = await run(b, { code: "import os\nsorted(os.listdir('/tmp') + os.listdir('/workspace'))" });
        expect(s(fresh).result).toBe("[]");
      }, 120_000);

      test("network access fails inside the sandbox, then the next call works", async () => {
        const r = await run(b, { code: "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=3)" });
        expect(s(r).status).toBe("error");
        expect(s(r).error).toMatch(/OSError|unreachable|Network/i);
        expect(s(await run(b, { code: "1" })).result).toBe("1");
      }, 120_000);

      test("writing to / fails (read-only), then the next call works", async () => {
        const r = await run(b, { code: "open('/evil', 'w').write('x')" });
        expect(s(r).status).toBe("error");
        expect(s(r).error).toContain("Read-only file system");
        expect(s(await run(b, { code: "1" })).result).toBe("1");
      }, 120_000);

      test("a fork bomb is stopped by the pids limit, then the next call works", async () => {
        const r = await run(b, { code: "import os\nwhile True:\n    os.fork()", timeout: 30 });
        expect(["error", "timeout", "killed"]).toContain(s(r).status);
        expect(r.isError).toBe(true);
        if (s(r).status === "error") expect(s(r).error).toMatch(/BlockingIOError|Resource temporarily unavailable/);
        expect(s(await run(b, { code: "1" })).result).toBe("1");
      }, 120_000);

      test("a memory bomb is killed with a message naming the memory limit, then the next call works", async () => {
        const r = await run(b, {
          code: "blocks = []\nwhile True:\n    blocks.append(bytearray(64 * 1024 * 1024))",
          timeout: 60,
        });
        expect(s(r).status).toBe("killed");
        expect(s(r).error).toContain("memory limit (512m)");
        expect(s(await run(b, { code: "1" })).result).toBe("1");
        // podman's conmon drops an `oom` file in its working directory after an OOM kill.
        expect(readdirSync(project.path), "files left in serve's working directory").toEqual([]);
      }, 120_000);

      test("user code cannot spoof or corrupt the channel", async () => {
        const code = [
          "import os, struct, json",
          "def fake(h, body=b''):",
          "    hb = json.dumps(h).encode()",
          "    return struct.pack('>II', len(hb), len(body)) + hb + body",
          "junk = fake({'t': 'done', 'id': 1, 'status': 'ok', 'value': 'SPOOFED'}) + fake({'t': 'out', 'id': 1}, b'SPOOF') + b'\\xff' * 64",
          "os.write(1, junk)",
          "os.write(2, junk)",
          "for fd in os.listdir('/proc/self/fd'):",
          "    try:",
          "        os.write(int(fd), junk)",
          "    except OSError:",
          "        pass",
          "for pid in ('1', str(os.getppid())):",
          "    for fd in range(0, 16):",
          "        try:",
          "            w = os.open(f'/proc/{pid}/fd/{fd}', os.O_WRONLY)",
          "            os.write(w, junk)",
          "        except OSError:",
          "            pass",
          "print('after-spoof')",
          "'real'",
        ].join("\n");
        const r = await run(b, { code });
        expect(s(r).status).toBe("ok");
        expect(s(r).result).toBe("'real'");
        expect(s(r).output).toContain("after-spoof\n");
        expect(s(await run(b, { code: "print('next')" })).output).toBe("next\n");
      }, 120_000);

      test("user code cannot kill the runtime (PID 1); os._exit(n) is reported as an exit", async () => {
        const r = await run(b, {
          code: "import os, signal\nfor sig in (signal.SIGKILL, signal.SIGSTOP, signal.SIGTERM):\n    os.kill(1, sig)\nprint('alive')",
        });
        expect(s(r)).toMatchObject({ status: "ok", output: "alive\n" });
        const exit = await run(b, { code: "import os\nprint('bye', flush=True)\nos._exit(5)" });
        expect(s(exit)).toMatchObject({ status: "exit", exit_code: 5, output: "bye\n" });
        expect(s(await run(b, { code: "1" })).result).toBe("1");
      }, 120_000);

      test("images: show_image and matplotlib figures come back as PNG image content", async () => {
        const code = [
          "import matplotlib.pyplot as plt",
          "plt.plot([1, 2, 3])",
          "plt.show()",
          "fig = plt.figure()",
          "plt.plot([3, 2, 1])",
          "import io",
          "buf = io.BytesIO()",
          "fig.savefig(buf, format='png')",
          "show_image(buf.getvalue())",
        ].join("\n");
        const r = await run(b, { code });
        expect(s(r).status).toBe("ok");
        const images = r.content.filter((c) => c.type === "image");
        expect(images.length).toBe(3); // plt.show(), show_image(), and the figure still open at the end
        for (const img of images) {
          expect(img.mimeType).toBe("image/png");
          expect(Buffer.from(img.data!, "base64").subarray(1, 4).toString()).toBe("PNG");
        }
      }, 120_000);

      test("with a progressToken, output lines stream as progress notifications", async () => {
        const messages: string[] = [];
        const r = await run(
          b,
          { code: "import time\nfor i in range(4):\n    print('line', i, flush=True)\n    time.sleep(0.3)" },
          {
            onprogress: (p) => {
              if (p.message) messages.push(p.message);
            },
          },
        );
        expect(s(r).status).toBe("ok");
        expect(messages.length).toBeGreaterThanOrEqual(2);
        expect(messages.join("\n")).toBe("line 0\nline 1\nline 2\nline 3");
      }, 120_000);

      test("notifications/cancelled kills and removes the container", async () => {
        const ac = new AbortController();
        let id = "";
        const call = run(
          b,
          { code: "import socket, time\nprint(socket.gethostname(), flush=True)\ntime.sleep(60)" },
          {
            signal: ac.signal,
            onprogress: (p) => {
              if (p.message && !id) {
                id = p.message.trim();
                ac.abort();
              }
            },
          },
        );
        await expect(call).rejects.toThrow();
        expect(id).toMatch(/^[0-9a-f]{12}$/);
        expect(await waitFor(() => containersWithId(engine, id).length === 0, 10_000)).toBe(true);
        expect(s(await run(b, { code: "2" })).result).toBe("2");
      }, 120_000);

      test("hostile arguments are rejected clearly", async () => {
        const bad = await run(b, { code: "1", session: "../../etc" });
        expect(bad.isError).toBe(true);
        expect(resultText(bad)).toContain("invalid session name");
        const big = await run(b, { code: "import time\ntime.sleep(0.2)\n'ok'", timeout: 100000 });
        expect(s(big).result).toBe("'ok'"); // capped at MCP_BRIDGE_MAX_TIMEOUT, not rejected
      }, 120_000);

      test("a reused (reset) container starts clean: no variables, files, processes or shared memory", async () => {
        const one = await startBridge({ env: env({ MCP_BRIDGE_POOL_SIZE: "1" }) });
        try {
          const dirty = [
            "import os, socket, subprocess, ctypes",
            "leftover = 1",
            "for d in ('/tmp', '/workspace', '/dev/shm'):",
            "    open(d + '/left', 'w').write('x')",
            "    os.makedirs(d + '/locked/sub', exist_ok=True)",
            "    os.chmod(d + '/locked', 0)",
            "subprocess.Popen(['sleep', '300'], start_new_session=True)",
            "pid = os.fork()",
            "if pid == 0:",
            "    os.setsid(); import time; time.sleep(300)",
            "libc = ctypes.CDLL(None)",
            "libc.shmget(0x1234, 4096, 0o1666)",
            "socket.gethostname()",
          ].join("\n");
          await run(one, { code: "1" }); // the pool is full after this: the next two calls share a container
          await Bun.sleep(1000);
          const first = await run(one, { code: dirty });
          expect(s(first).status).toBe("ok");
          const check = [
            "import os, socket",
            "procs = [p for p in os.listdir('/proc') if p.isdigit() and p not in ('1', str(os.getpid()))]",
            "names = sorted(open(f'/proc/{p}/comm').read().strip() for p in procs)",
            "shm = open('/proc/sysvipc/shm').read().splitlines()[1:]",
            "(socket.gethostname(), 'leftover' in globals(), sorted(os.listdir('/tmp') + os.listdir('/workspace') + os.listdir('/dev/shm')), names, shm)",
          ].join("\n");
          // Let the reset finish. On a loaded host a call can still race it: it then starts a new
          // container and the reset one goes back to the pool, where a later call finds it. Every
          // attempt must be clean; one of them must be the reset container itself.
          await Bun.sleep(1500);
          const seen: string[] = [];
          for (let attempt = 0; attempt < 10 && !seen.includes(String(s(first).result)); attempt++) {
            const second = await run(one, { code: check });
            expect(s(second).status).toBe("ok");
            const [host, ...rest] = String(s(second).result).slice(1, -1).split(", ");
            expect(rest.join(", "), "nothing left besides the runtime and this process").toBe("False, [], [], []");
            seen.push(host!);
            if (!seen.includes(String(s(first).result))) await Bun.sleep(1500 + attempt * 500); // resets take seconds under load
          }
          expect(seen, "the reset container was reused").toContain(String(s(first).result));
        } finally {
          await one.close();
        }
      }, 120_000);

      test("idle sessions and pool containers are stopped and removed after MCP_BRIDGE_IDLE_TIMEOUT", async () => {
        const idle = await startBridge({ env: env({ MCP_BRIDGE_IDLE_TIMEOUT: "2s", MCP_BRIDGE_POOL_SIZE: "1" }) });
        try {
          expect(s(await run(idle, { code: "x = 1", session: "idle" })).status).toBe("ok");
          const pid = idle.pid()!;
          expect(containersOwnedBy(engine, pid).length).toBeGreaterThan(0);
          expect(await waitFor(() => containersOwnedBy(engine, pid).length === 0, 20_000)).toBe(true);
          const again = await run(idle, { code: "x", session: "idle" });
          expect(s(again).error).toContain("NameError"); // the session expired with its container
        } finally {
          await idle.close();
        }
      }, 120_000);

      test("a serve killed with SIGKILL leaves no containers behind (their channel closes, --rm removes them)", async () => {
        const proc = Bun.spawn([BRIDGE_BIN, "serve"], {
          env: env(),
          stdin: "pipe",
          stdout: "ignore",
          stderr: "ignore",
        });
        // The pool warms once the client has initialized.
        proc.stdin.write(
          `${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } })}\n`,
        );
        proc.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
        proc.stdin.flush();
        expect(await waitFor(() => containersOwnedBy(engine, proc.pid).length === 2, 30_000)).toBe(true);
        proc.kill("SIGKILL");
        await proc.exited;
        expect(await waitFor(() => containersOwnedBy(engine, proc.pid).length === 0, 30_000)).toBe(true);
      }, 120_000);

      test("10 MB passes through the channel intact in both directions (bridge run: stdin code in, stdout out)", async () => {
        const payload = createHash("sha256")
          .update("seed")
          .digest("hex")
          .repeat((10 * 1024 * 1024) / 64);
        const code = `import hashlib, sys\ndata = ${JSON.stringify(payload)}\nsys.stdout.write(data)\nhashlib.sha256(data.encode()).hexdigest()`;
        const proc = Bun.spawn([BRIDGE_BIN, "run", "-"], {
          env: env(),
          stdin: new TextEncoder().encode(code),
          stdout: "pipe",
          stderr: "pipe",
        });
        const [out, err, exit] = await Promise.all([
          new Response(proc.stdout).text(),
          new Response(proc.stderr).text(),
          proc.exited,
        ]);
        expect(err).not.toContain("Traceback");
        expect(exit).toBe(0);
        expect(out.length).toBe(payload.length + 64 + 3);
        expect(out === `${payload}'${createHash("sha256").update(payload).digest("hex")}'\n`).toBe(true);
      }, 120_000);

      test("3 MiB each way through MCP arrives intact; larger caps are clamped with a warning; toon text", async () => {
        const big = await startBridge({
          env: env({ MCP_BRIDGE_MAX_OUTPUT: "20m", MCP_BRIDGE_POOL_SIZE: "1", MCP_BRIDGE_OUTPUT_MODE: "toon" }),
        });
        try {
          expect(big.stderr()).toContain("more than an MCP message can safely carry");
          const payload = createHash("sha256")
            .update("seed")
            .digest("hex")
            .repeat((3 * 1024 * 1024) / 64);
          const code = `import hashlib, sys\ndata = ${JSON.stringify(payload)}\nsys.stdout.write(data)\nhashlib.sha256(data.encode()).hexdigest()`;
          const r = await run(big, { code });
          expect(s(r).status).toBe("ok");
          expect(s(r).truncated).toBeUndefined();
          expect(s(r).output === payload).toBe(true);
          expect(s(r).result).toBe(`'${createHash("sha256").update(payload).digest("hex")}'`);
          expect(resultText(r)).toContain("see structuredContent.output");
          expect(resultText(r).startsWith("status: ok\n")).toBe(true); // MCP_BRIDGE_OUTPUT_MODE=toon
          const small = await run(big, { code: "print('a')\nprint()\n7" });
          expect(resultText(small)).toBe('status: ok\noutput: "a\\n\\n"\nresult: "7"');
        } finally {
          await big.close();
        }
      }, 120_000);
    },
  );
}
