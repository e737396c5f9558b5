/**
 * The SandboxExtension path with real containers: extension modules importable in the sandbox,
 * preludes run with `__bridge_context__`, and `_bridge.call` / `call_sync` reaching host methods —
 * many at once, from asyncio and from threads, with multi-MB results and clear errors. Uses
 * SandboxService directly (a test extension cannot be injected into the compiled binary).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/index.ts";
import { BridgeError } from "../../src/errors.ts";
import { log } from "../../src/log.ts";
import { defaultEngineDeps } from "../../src/sandbox/engine.ts";
import type { SandboxExtension } from "../../src/sandbox/extension.ts";
import { SandboxService } from "../../src/sandbox/service.ts";
import { TEST_IMAGE } from "../support/bridge.ts";
import { ENGINES, containersOwnedBy, waitFor } from "../support/sandbox-engines.ts";

const engine = ENGINES.find((e) => e.usable)?.engine;

describe.skipIf(!engine)(
  `sandbox extensions on ${engine ?? "no engine (SKIPPED: neither podman nor docker is usable)"}`,
  () => {
    const seen: Array<{ servers: string[]; aborted: boolean }> = [];
    let lastSignal: AbortSignal | undefined;
    const testExtension: SandboxExtension = {
      modules: { bxtest: "GREETING = 'hello from bxtest'", "bxtest.sub": "def twice(x):\n    return x * 2" },
      prelude: "import bxtest\nprelude_ctx = __bridge_context__\ngreeting = bxtest.GREETING",
      prepare: async ({ servers }) => ({ servers: servers ?? [], n: 7 }),
      methods: {
        "test.echo": async (params) => params,
        "test.fail": async () => {
          throw new BridgeError("UPSTREAM_FAILED", "the test method failed on purpose", { hint: "this is the hint" });
        },
        "test.ctx": async (_params, ctx) => {
          lastSignal = ctx.signal;
          seen.push({ servers: ctx.servers, aborted: ctx.signal.aborted });
          return ctx.servers;
        },
      },
    };
    const config = loadConfig({
      env: {
        BRIDGE_ROOT: "/nonexistent-bridge-root",
        MCP_BRIDGE_IMAGE: TEST_IMAGE,
        MCP_BRIDGE_ENGINE: engine ?? "auto",
        MCP_BRIDGE_POOL_SIZE: "1",
      },
    });
    // A fake pid as owner label: this test's containers are told apart from any running bridge's.
    const ownerPid = 900_000 + Math.floor(Math.random() * 90_000);
    const service = new SandboxService(config, {
      engine: defaultEngineDeps(),
      log,
      extensions: [testExtension],
      pid: ownerPid,
    });

    afterAll(async () => {
      await service.shutdown();
      expect(await waitFor(() => containersOwnedBy(engine!, ownerPid).length === 0, 10_000)).toBe(true);
    }, 30_000);

    test("modules import, the prelude sees __bridge_context__, and it is unbound afterwards", async () => {
      const r = await service.run({
        code: "import bxtest.sub\nprint(greeting, bxtest.sub.twice(21))\n(prelude_ctx, '__bridge_context__' in globals())",
        servers: ["a", "b"],
      });
      expect(r.status).toBe("ok");
      expect(r.output.text).toBe("hello from bxtest 42\n");
      expect(r.value).toBe("({'servers': ['a', 'b'], 'n': 7}, False)");
    }, 60_000);

    test("50 concurrent async calls, threads and call_sync all get their own results", async () => {
      const code = [
        "import asyncio, threading, _bridge",
        "res = await asyncio.gather(*[_bridge.call('test.echo', {'i': i}) for i in range(50)])",
        "assert [r['i'] for r in res] == list(range(50)), res",
        "out = {}",
        "def work(k):",
        "    out[k] = _bridge.call_sync('test.echo', [k, 'x' * k])",
        "ts = [threading.Thread(target=work, args=(k,)) for k in range(8)]",
        "[t.start() for t in ts]; [t.join() for t in ts]",
        "assert all(out[k] == [k, 'x' * k] for k in range(8)), out",
        "_bridge.call_sync('test.ctx', None)",
      ].join("\n");
      const r = await service.run({ code, servers: ["srv"] });
      expect(r.error).toBeUndefined();
      expect(r.status).toBe("ok");
      expect(r.value).toBe("['srv']");
      expect(seen.at(-1)).toEqual({ servers: ["srv"], aborted: false });
      expect(lastSignal?.aborted).toBe(true); // aborted once the call ended
    }, 60_000);

    test("a 10 MB value goes to the host and back intact", async () => {
      const code =
        "import hashlib, _bridge\nbig = 'ab' * (5 * 1024 * 1024)\nback = _bridge.call_sync('test.echo', {'data': big})['data']\n(len(back), back == big, hashlib.sha256(back.encode()).hexdigest() == hashlib.sha256(big.encode()).hexdigest())";
      const r = await service.run({ code });
      expect(r.value).toBe("(10485760, True, True)");
    }, 60_000);

    test("a failing host method raises BridgeCallError with the message and hint", async () => {
      const r = await service.run({
        code: "import _bridge\ntry:\n    _bridge.call_sync('test.fail', {})\nexcept _bridge.BridgeCallError as e:\n    print(str(e))\nawait _bridge.call('nope')",
      });
      expect(r.output.text).toBe("the test method failed on purpose\n  → this is the hint\n");
      expect(r.status).toBe("error");
      expect(r.error).toContain('unknown host method "nope"');
    }, 60_000);

    test("hostile host calls fail in Python without breaking the channel", async () => {
      const code = [
        "import _bridge",
        "errs = []",
        "for bad in [lambda: _bridge.call_sync('m' * 100000, 1), lambda: _bridge.call_sync('test.echo', b'bytes'), lambda: _bridge.call_sync('test.echo', {1j: 2})]:",
        "    try:",
        "        bad()",
        "    except Exception as e:",
        "        errs.append(type(e).__name__)",
        "(errs, _bridge.call_sync('test.echo', 'still fine'))",
      ].join("\n");
      const r = await service.run({ code });
      expect(r.value).toBe("(['ValueError', 'TypeError', 'TypeError'], 'still fine')");
    }, 60_000);

    test("processes forked by user code cannot speak for the runtime", async () => {
      const code =
        "import os, _bridge\npid = os.fork()\nif pid == 0:\n    try:\n        _bridge.call_sync('test.echo', 1)\n    except RuntimeError as e:\n        print('child:', e, flush=True)\n    os._exit(0)\nos.waitpid(pid, 0)\n'parent'";
      const r = await service.run({ code });
      expect(r.value).toBe("'parent'");
      expect(r.output.text).toBe("child: _bridge calls are only available in the main sandbox process\n");
    }, 60_000);
  },
);
