/**
 * Sessions tell the truth, per engine, through the compiled binary: when a session's container is
 * memory-killed the call says its state is lost, and the next call says, before its own output,
 * that it starts fresh and why; after idle expiry the next call says the same. Never a bare NameError.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { bridgeEnv, resultText, startBridge, tempDir } from "../support/bridge.ts";
import { ENGINES } from "../support/sandbox-engines.ts";

type Result = {
  content: Array<{ type: string; text?: string }>;
  structuredContent: { status: string; output: string; error?: string; note?: string };
  isError?: boolean;
};

for (const { engine, usable } of ENGINES) {
  describe.skipIf(!usable)(
    `sessions that end, on ${engine}${usable ? "" : ` (SKIPPED: ${engine} is not installed or not answering)`}`,
    () => {
      const root = tempDir();
      afterAll(root.cleanup);

      test("memory kill: the call that lost the session says so; the next one says it starts fresh", async () => {
        const b = await startBridge({
          env: bridgeEnv(join(root.path, "oom"), {
            MCP_BRIDGE_ENGINE: engine,
            MCP_BRIDGE_MEMORY: "256m",
            MCP_BRIDGE_POOL_SIZE: "1",
            MCP_BRIDGE_TOOLS: "sandbox",
          }),
        });
        const run = async (code: string) =>
          (await b.client.callTool({ name: "run_python", arguments: { code, session: "work" } }, undefined, {
            timeout: 120_000,
          })) as Result;
        try {
          expect((await run("a = 41")).structuredContent.status).toBe("ok");
          const killed = await run("a += 1\nx = b'x' * (600 << 20)");
          expect(killed.structuredContent.status).toBe("killed");
          expect(killed.structuredContent.error).toContain("memory limit (256m)");
          expect(killed.structuredContent.error).toContain('Session "work" lost its state');
          const next = await run("a");
          expect(next.structuredContent.note).toMatch(
            /^session "work" starts fresh: the (call before was killed, (?:most likely )?for exceeding the memory limit \(256m\)|container of the call before stopped \(most likely the memory limit, 256m\)); variables, imports and files from earlier calls are gone$/,
          );
          expect(resultText(next).split("\n")[0]).toBe(`[${next.structuredContent.note}]`);
          expect(next.structuredContent.error).toContain("NameError");
          expect((await run("a = 1\na")).structuredContent.note).toBeUndefined();
        } finally {
          await b.close();
        }
      }, 180_000);

      test("idle expiry: the next call says the session expired before it shows anything else", async () => {
        const b = await startBridge({
          env: bridgeEnv(join(root.path, "idle"), {
            MCP_BRIDGE_ENGINE: engine,
            MCP_BRIDGE_IDLE_TIMEOUT: "2s",
            MCP_BRIDGE_POOL_SIZE: "1",
            MCP_BRIDGE_TOOLS: "sandbox",
          }),
        });
        const run = async (code: string) =>
          (await b.client.callTool({ name: "run_python", arguments: { code, session: "idle" } }, undefined, {
            timeout: 120_000,
          })) as Result;
        try {
          expect((await run("a = 1")).structuredContent.status).toBe("ok");
          await Bun.sleep(3500);
          const next = await run("print('hello')\na");
          expect(next.structuredContent.note).toBe(
            'session "idle" starts fresh: it was idle for 2s (MCP_BRIDGE_IDLE_TIMEOUT) and its container was removed; variables, imports and files from earlier calls are gone',
          );
          expect(resultText(next).split("\n").slice(0, 2)).toEqual([`[${next.structuredContent.note}]`, "hello"]);
        } finally {
          await b.close();
        }
      }, 180_000);
    },
  );
}
