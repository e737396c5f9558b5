/**
 * Attacks on the memory store (issue 8, medium 8 and 5), from sandboxed code through `serve`:
 * (a) two concurrent update_memory on one key and a call that ends left the key locked until serve
 * restarted; (b) no total quota: a loop of save_memory filled the host disk; (c) ENOSPC left temp
 * files; (d) a FIFO named like a key froze serve. Real `dist/bridge serve` and containers on each
 * engine; ENOSPC on a real 192 KiB tmpfs in a private mount namespace.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { MemoryStore } from "../../src/memory/store.ts";
import { bridgeEnv, resultText, startBridge, tempDir, type RunningBridge } from "../support/bridge.ts";
import { ENGINES, type Engine } from "../support/sandbox-engines.ts";

async function runPython(b: RunningBridge, code: string, timeout = 30) {
  const r = await b.client.callTool({ name: "run_python", arguments: { code, timeout } }, undefined, {
    timeout: 180_000,
  });
  return { text: resultText(r as { content?: unknown }), isError: Boolean(r.isError) };
}

for (const { engine, usable } of ENGINES) {
  describe.skipIf(!usable)(
    `memory store attacks on ${engine}${usable ? "" : ` (SKIPPED: ${engine} is not installed or not answering)`}`,
    () => {
      const root = tempDir("bridge-sec-memory-");
      let b: RunningBridge;
      beforeAll(async () => {
        b = await startBridge({
          env: bridgeEnv(root.path, {
            MCP_BRIDGE_RUNTIME: engine as Engine,
            MCP_SERVERS_CONFIG: "",
            MCP_BRIDGE_MEMORY_STORE_QUOTA: "200k",
          }),
          cwd: root.path,
        });
      });
      afterAll(async () => {
        await b?.close();
        root.cleanup();
      }, 60_000);

      test("a call that ends while one update holds a key and another waits for it leaves the key free", async () => {
        const ended = await runPython(
          b,
          `
import asyncio
async def slow(v):
    await asyncio.sleep(60)
    return 1
holder = asyncio.ensure_future(update_memory("contended", slow))
await asyncio.sleep(0.5)
waiter = asyncio.ensure_future(update_memory("contended", lambda v: 2))
await asyncio.sleep(0.5)
print("ending with both pending")
`,
        );
        expect(ended.text).toContain("ending with both pending");
        const next = await runPython(b, `print("GOT", await update_memory("contended", lambda v: 3))`, 10);
        expect(next.text).toContain("GOT 3");
      }, 120_000);

      test("save_memory in a loop stops at the total quota with a clear error", async () => {
        const r = await runPython(
          b,
          `
saved = 0
try:
    for i in range(40):
        await save_memory(f"blob{i}", "x" * 30_000)
        saved += 1
except Exception as e:
    print("STOPPED", saved, e)
`,
        );
        expect(r.text).toMatch(/STOPPED \d+ .*memory is full.*quota of 204800 bytes/);
        const dir = join(root.path, "state", "memory");
        const total = readdirSync(dir)
          .filter((f) => f.endsWith(".json"))
          .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
        expect(total).toBeLessThanOrEqual(200 * 1024);
        expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
      }, 120_000);

      test("a FIFO named like a key is refused at once; serve keeps answering", async () => {
        const dir = join(root.path, "state", "memory");
        mkdirSync(dir, { recursive: true });
        expect(Bun.spawnSync(["mkfifo", join(dir, "trap.json")]).exitCode).toBe(0);
        const r = await runPython(
          b,
          `
try:
    await load_memory("trap")
except Exception as e:
    print("REFUSED", e)
`,
          20,
        );
        expect(r.text).toContain("REFUSED");
        expect(r.text).toContain("not a regular file");
        await b.client.ping({ timeout: 5000 });
      }, 120_000);
    },
  );
}

describe("memory store on a full disk", () => {
  const unshare = Bun.which("unshare");
  const root = process.getuid?.() === 0;
  // A private mount namespace (as root) or user+mount namespace: nothing is mounted for anyone else.
  const ns = unshare ? (root ? ["-m"] : ["-r", "-m"]) : undefined;
  const usable = ns !== undefined && Bun.spawnSync([unshare!, ...ns, "true"]).exitCode === 0;
  test.skipIf(!usable)(
    `ENOSPC: the write fails clearly, leaves no temp or lock file, and the key works again once space is freed${usable ? "" : " (SKIPPED: no unshare/mount namespaces here)"}`,
    () => {
      const dir = tempDir("bridge-sec-enospc-");
      try {
        const script = resolve(import.meta.dir, "../support/memory-enospc.ts");
        const r = Bun.spawnSync(
          [
            unshare!,
            ...ns!,
            "sh",
            "-c",
            'mount -t tmpfs -o size=192k tmpfs "$1" && exec bun "$2" "$1/memory"',
            "sh",
            dir.path,
            script,
          ],
          { stdout: "pipe", stderr: "pipe", timeout: 60_000 },
        );
        const out = r.stdout.toString();
        expect(r.stderr.toString()).toBe("");
        const report = JSON.parse(out) as { error: string; leftovers: string[]; savedAfterFreeing: boolean };
        expect(report.error).toContain("ENOSPC");
        expect(report.leftovers).toEqual([]);
        expect(report.savedAfterFreeing).toBe(true);
      } finally {
        dir.cleanup();
      }
    },
    90_000,
  );
});

test("update lock: an update granted to a call that already ended is released (direct, no sandbox)", async () => {
  const dir = tempDir("bridge-sec-keyedlock-");
  try {
    const store = new MemoryStore({ dir: dir.path });
    const call = new AbortController();
    await store.beginUpdate("k", call.signal); // holds the key
    const waiting = store.beginUpdate("k", call.signal).catch((e: Error) => e); // same call, waits
    call.abort(); // the call ends: the holder is released, which hands the key to the (ended) waiter
    await waiting;
    const next = await Promise.race([
      store.beginUpdate("k").then(() => "granted"),
      Bun.sleep(2000).then(() => "still locked"),
    ]);
    expect(next).toBe("granted");
  } finally {
    dir.cleanup();
  }
});
