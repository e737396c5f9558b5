/**
 * run_python through the real server factory with a fake sandbox: string-typed arguments, the
 * clamped timeout and its note, and results that stay whole whatever the sandbox reports.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { loadConfig } from "../../../src/config/index.ts";
import { log } from "../../../src/log.ts";
import type { SandboxRunner } from "../../../src/mcp/context.ts";
import { createServer } from "../../../src/mcp/server.ts";
import type { RunOutcome } from "../../../src/output/format.ts";
import type { RunRequest } from "../../../src/sandbox/service.ts";

const root = mkdtempSync(join(tmpdir(), "bridge-run-python-tool-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function withTool(
  reply: (req: RunRequest) => RunOutcome,
  fn: (call: (args: Record<string, unknown>) => Promise<CallToolResult>, seen: RunRequest[]) => Promise<void>,
) {
  const seen: RunRequest[] = [];
  const sandbox: SandboxRunner = { run: async (req) => (seen.push(req), reply(req)) };
  const config = loadConfig({
    env: { BRIDGE_ROOT: root, MCP_BRIDGE_TOOLS: "sandbox", MCP_BRIDGE_MAX_TIMEOUT: "120s" },
    readFile: () => undefined,
  });
  const server = createServer({ config, log, onShutdown: () => {}, inspectOnly: true, services: { sandbox } });
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "t", version: "1" });
  await server.connect(a);
  await client.connect(b);
  try {
    await fn(async (args) => (await client.callTool({ name: "run_python", arguments: args })) as CallToolResult, seen);
  } finally {
    await client.close();
  }
}
const ok = (text = "hi\n"): RunOutcome => ({
  status: "ok",
  output: { text, totalBytes: text.length, truncated: false },
  images: [],
});

test("string forms of timeout and servers reach the sandbox as numbers and arrays; nonsense is refused clearly", async () => {
  await withTool(
    () => ok(),
    async (call, seen) => {
      const r = await call({ code: "1", timeout: "10", servers: '["a","b"]' });
      expect(r.isError).toBeFalsy();
      expect(seen[0]).toMatchObject({ timeoutMs: 10_000, servers: ["a", "b"] });
      const bad = await call({ code: "1", timeout: "soon" });
      expect(bad.isError).toBe(true);
      expect((bad.content[0] as { text: string }).text).toMatch(/Invalid arguments for tool run_python.*timeout/s);
      expect(seen).toHaveLength(1);
    },
  );
});

test("a timeout above the maximum is clamped and the result says so", async () => {
  await withTool(
    () => ok(),
    async (call, seen) => {
      const r = await call({ code: "1", timeout: 500 });
      expect(seen[0]!.timeoutMs).toBe(120_000);
      expect(r.structuredContent).toMatchObject({
        status: "ok",
        note: "timeout 500 s is above the maximum; ran with 120 s",
      });
      expect((r.content[0] as { text: string }).text).toContain("ran with 120 s");
    },
  );
});

test("whatever the sandbox reports, the printed output reaches the caller with a sensible status", async () => {
  const exit = (code: unknown) => ({ ...ok("printed\n"), status: "exit", exitCode: code }) as unknown as RunOutcome;
  const cases: Array<[RunOutcome, Record<string, unknown>, boolean]> = [
    [exit(false), { status: "exit", exit_code: 0 }, false],
    [exit("bye"), { status: "exit", exit_code: 1 }, true],
    [exit(2.5), { status: "exit", exit_code: 1 }, true],
    [{ ...ok("printed\n"), status: "bogus" } as unknown as RunOutcome, { status: "error" }, true],
  ];
  for (const [outcome, expected, isError] of cases) {
    await withTool(
      () => outcome,
      async (call) => {
        const r = await call({ code: "x" });
        expect(r.structuredContent).toMatchObject({ ...expected, output: "printed\n" });
        expect((r.content[0] as { text: string }).text).toContain("printed");
        expect(Boolean(r.isError)).toBe(isError);
      },
    );
  }
});

test("if shaping fails anyway, the output is returned with a note instead of a bare error", async () => {
  const poisoned = {
    ...ok("still here\n"),
    get status(): never {
      throw new Error("poisoned getter");
    },
  } as unknown as RunOutcome;
  await withTool(
    () => poisoned,
    async (call) => {
      const r = await call({ code: "x" });
      expect(r.isError).toBe(true);
      const text = (r.content[0] as { text: string }).text;
      expect(text).toContain("still here");
      expect(text).toContain("could not shape this result");
    },
  );
});
