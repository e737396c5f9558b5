/** tools/list must not depend on the configured servers: byte-identical with 1 and with 100. */
import { afterAll, expect, test } from "bun:test";
import { bridgeEnv, requireBinary, tempDir } from "../support/bridge.ts";
import { writeServersConfig } from "../support/upstream-servers.ts";

const dirs: Array<{ cleanup: () => void }> = [];
afterAll(() => {
  for (const d of dirs) d.cleanup();
});

/** The raw bytes of serve's tools/list response line. */
async function rawToolsList(extraServers: number): Promise<string> {
  const root = tempDir("bridge-e2e-toolslist-");
  dirs.push(root);
  const config = writeServersConfig(root.path, {
    filesRoot: root.path,
    only: extraServers ? [] : ["everything"],
    extra: extraServers,
  });
  const proc = Bun.spawn([requireBinary(), "serve"], {
    env: bridgeEnv(root.path, { MCP_SERVERS_CONFIG: config }),
    cwd: root.path,
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  const send = (msg: unknown) => proc.stdin.write(`${JSON.stringify(msg)}\n`);
  send({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
  });
  send({ jsonrpc: "2.0", method: "notifications/initialized" });
  send({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} });
  await proc.stdin.flush();
  let buf = "";
  const decoder = new TextDecoder();
  for await (const chunk of proc.stdout) {
    buf += decoder.decode(chunk, { stream: true });
    const line = buf.split("\n").find((l) => l.includes('"id":2'));
    if (line) {
      proc.stdin.end();
      await proc.exited;
      return line;
    }
  }
  throw new Error(`no tools/list answer; exit ${await proc.exited}`);
}

test("tools/list is byte-identical with 1 and 100 configured servers", async () => {
  const one = await rawToolsList(0);
  const hundred = await rawToolsList(100);
  expect(JSON.parse(one).result.tools.length).toBeGreaterThan(0);
  expect(hundred).toBe(one);
  expect(one).not.toContain("dummy-");
  expect(one).not.toContain("everything");
}, 300_000);
