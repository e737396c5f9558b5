/** Memory helpers end to end: persistence across calls and bridge restarts, and no lost updates. */
import { afterAll, describe, expect, test } from "bun:test";
import { bridgeEnv, resultText, startBridge, tempDir, type RunningBridge } from "../support/bridge.ts";

const root = tempDir("bridge-e2e-memory-");
afterAll(root.cleanup);

async function runPython(bridge: RunningBridge, code: string) {
  const result = await bridge.client.callTool({ name: "run_python", arguments: { code } }, undefined, {
    timeout: 300_000,
  });
  return { text: resultText(result as { content?: unknown }), isError: Boolean(result.isError) };
}

describe("memory from run_python", () => {
  test("a value saved in one call is read in a later call and after restarting bridge", async () => {
    const env = bridgeEnv(root.path, { MCP_SERVERS_CONFIG: "" });
    const first = await startBridge({ env, cwd: root.path });
    try {
      const saved = await runPython(first, `await save_memory("notes", {"todo": ["a", "b"], "n": 3}); print("saved")`);
      expect(saved.text).toContain("saved");
      const read = await runPython(
        first,
        `print("READ", await load_memory("notes"), load_memory_sync("absent", "dflt"))`,
      );
      expect(read.text).toContain("READ {'todo': ['a', 'b'], 'n': 3} dflt");
    } finally {
      await first.close();
    }
    const second = await startBridge({ env, cwd: root.path });
    try {
      const read = await runPython(second, `print("AFTER", await load_memory("notes"), await list_memories())`);
      expect(read.text).toContain("AFTER {'todo': ['a', 'b'], 'n': 3} ['notes']");
      const bad = await runPython(
        second,
        `
for key in ("../../etc/passwd", ".x", "a/b"):
    try:
        await save_memory(key, 1)
    except Exception as e:
        print("REJECTED", "invalid memory key" in str(e))
try:
    await save_memory("big", "x" * (1024 * 1024 + 1))
except Exception as e:
    print("TOO BIG", "more than the limit" in str(e))
`,
      );
      expect(bad.text.match(/REJECTED True/g)?.length).toBe(3);
      expect(bad.text).toContain("TOO BIG True");
    } finally {
      await second.close();
    }
  }, 300_000);

  test("50 concurrent update_memory increments (50 run_python calls, and asyncio.gather in one call) end at exactly 50", async () => {
    const bridge = await startBridge({ env: bridgeEnv(root.path, { MCP_SERVERS_CONFIG: "" }), cwd: root.path });
    try {
      const calls = Array.from({ length: 50 }, () =>
        runPython(bridge, `await update_memory("calls", lambda v: (v or 0) + 1); print("ok")`),
      );
      const results = await Promise.all(calls);
      const failed = results.filter((r) => r.isError || !r.text.includes("ok"));
      expect(failed).toEqual([]);
      const gathered = await runPython(
        bridge,
        `
import asyncio
await asyncio.gather(*[update_memory("tasks", lambda v: (v or 0) + 1) for _ in range(50)])
print("CALLS", await load_memory("calls"), "TASKS", await load_memory("tasks"))
`,
      );
      expect(gathered.text).toContain("CALLS 50 TASKS 50");
    } finally {
      await bridge.close();
    }
  }, 300_000);
});
