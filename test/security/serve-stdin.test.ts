/**
 * Attacks on serve's stdin (issue 8, Medium 6 and Low "unparsable JSON-RPC lines"): a message over
 * the 10 MiB limit used to close the SDK's transport for good (serve deaf, EOF ignored, containers
 * left running); unparsable lines got no answer. Now each gets a JSON-RPC error and serve goes on.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { bridgeEnv, tempDir } from "../support/bridge.ts";
import { rawServe } from "../support/raw-serve.ts";
import { ENGINES, containersOwnedBy, waitFor } from "../support/sandbox-engines.ts";

const LIMIT = 10 * 1024 * 1024;
const root = tempDir();
afterAll(root.cleanup);
const env = (extra: Record<string, string> = {}) => bridgeEnv(root.path, { MCP_BRIDGE_POOL_SIZE: "0", ...extra });

/** A tools/call line of about `bytes` bytes, with its members in the order a client SDK writes them. */
function bigCall(id: number | string, bytes: number, order: "id-last" | "id-first"): string {
  const params = { name: "run_python", arguments: { code: `x = "${"a".repeat(bytes)}"` } };
  const msg =
    order === "id-last"
      ? { method: "tools/call", params, jsonrpc: "2.0", id }
      : { jsonrpc: "2.0", id, method: "tools/call", params };
  return `${JSON.stringify(msg)}\n`;
}

describe("serve's stdin", () => {
  test("a message over 10 MiB gets a -32600 error carrying its id (id last or first), and serve keeps answering", async () => {
    const s = rawServe(env());
    try {
      await s.initialize();
      await s.write(bigCall(41, LIMIT + 1000, "id-last"));
      const last = await s.waitFor((m) => m.id === 41);
      expect(last.error.code).toBe(-32600);
      expect(last.error.message).toContain("too large");
      expect(last.error.message).toContain(String(LIMIT));
      await s.write(bigCall("big-two", LIMIT * 2, "id-first"));
      const first = await s.waitFor((m) => m.id === "big-two");
      expect(first.error.code).toBe(-32600);
      expect(first.error.data).toMatchObject({ limit: LIMIT });
      expect((await s.request("ping")).result).toEqual({});
      const list = await s.request("tools/list");
      expect(list.result.tools.length).toBeGreaterThan(0);
    } finally {
      s.proc.kill();
    }
  }, 120_000);

  test("a 256 MiB line trickled in small writes is counted, not buffered: serve stays small and alive", async () => {
    const s = rawServe(env());
    try {
      await s.initialize();
      const before = s.memory().now;
      const piece = "b".repeat(256 * 1024);
      await s.write(
        '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"run_python","arguments":{"code":"',
      );
      for (let i = 0; i < 1024; i++) await s.write(piece);
      await s.write('"}}}\n');
      const answer = await s.waitFor((m) => m.id === 7);
      expect(answer.error.code).toBe(-32600);
      // Buffering it would take at least 256 MiB; what remains is garbage read chunks not yet collected.
      expect(s.memory().peak - before, "serve buffered the oversized line").toBeLessThan(128 * 1024 * 1024);
      expect((await s.request("ping")).result).toEqual({});
    } finally {
      s.proc.kill();
    }
  }, 120_000);

  test("a line that is not JSON gets -32700, JSON that is not JSON-RPC gets -32600; serving goes on", async () => {
    const s = rawServe(env());
    try {
      await s.initialize();
      await s.write("this is not json\n");
      const parse = await s.waitFor((m) => m.error?.code === -32700);
      expect(parse.id).toBeNull();
      expect(parse.error.message).toMatch(/^Parse error/);
      await s.write(`${JSON.stringify({ hello: "world", id: 9 })}\n`);
      const invalid = await s.waitFor((m) => m.error?.code === -32600);
      expect(invalid.id).toBe(9);
      await s.write("\n\r\n   \n"); // blank lines are not messages: no answer
      expect((await s.request("ping")).result).toEqual({});
      for (const m of s.messages) expect(m.jsonrpc).toBe("2.0");
      expect(s.messages.filter((m) => m.error).length).toBe(2);
    } finally {
      s.proc.kill();
    }
  }, 60_000);

  for (const { engine, usable } of ENGINES) {
    test.skipIf(!usable)(
      `after an oversized message serve still exits on EOF and removes its containers (${engine}${usable ? "" : ": SKIPPED, not installed"})`,
      async () => {
        const s = rawServe(env({ MCP_BRIDGE_ENGINE: engine, MCP_BRIDGE_POOL_SIZE: "2" }));
        await s.initialize();
        const call = await s.request(
          "tools/call",
          { name: "run_python", arguments: { code: "print('warm')" } },
          { timeoutMs: 120_000 },
        );
        expect(call.result.structuredContent.output).toBe("warm\n");
        await s.write(bigCall(99, LIMIT + 1, "id-last"));
        expect((await s.waitFor((m) => m.id === 99)).error.code).toBe(-32600);
        expect((await s.request("ping")).result).toEqual({});
        const pid = s.proc.pid;
        s.proc.stdin.end();
        const exited = await Promise.race([s.proc.exited, Bun.sleep(10_000).then(() => "still running")]);
        expect(exited).toBe(0);
        const clean = await waitFor(() => containersOwnedBy(engine, pid).length === 0, 15_000);
        expect(clean ? [] : containersOwnedBy(engine, pid)).toEqual([]);
      },
      180_000,
    );
  }
});
