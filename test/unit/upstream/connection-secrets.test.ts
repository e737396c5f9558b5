import { afterAll, expect, test } from "bun:test";
import { UpstreamConnection } from "../../../src/upstream/connection.ts";
import type { ServerEntry } from "../../../src/upstream/types.ts";
import { tempDir } from "../../support/bridge.ts";

const dir = tempDir("bridge-conn-secrets-");
afterAll(dir.cleanup);

test("a failed connection reports the server with its URL masked; keys never reach the error or the log", async () => {
  const key = "4f1c2d3e-0a1b-4c2d-8e9f-0123456789ab";
  const entry: ServerEntry = {
    name: "hosted",
    source: "/h/.cursor/mcp.json",
    format: "cursor",
    scope: "user",
    transport: "http",
    status: "ok",
    url: `http://127.0.0.1:9/s/${key}/mcp?apiKey=qwertyuiop123`,
    headers: { Authorization: "Bearer tok_abcdefgh12345678" },
  };
  const logs: string[] = [];
  const conn = new UpstreamConnection(entry, {
    timeoutMs: 10_000,
    logDir: dir.path,
    log: { debug: (m) => logs.push(m), warn: (m) => logs.push(m) },
  });
  const err = (await conn.listTools().catch((e) => e)) as Error;
  await conn.close();
  expect(err.message).toContain("server hosted could not start (url http://127.0.0.1:9/s/***/mcp?apiKey=***)");
  for (const text of [err.message, ...logs]) {
    expect(text).not.toContain(key);
    expect(text).not.toContain("qwertyuiop123");
    expect(text).not.toContain("tok_abcdefgh12345678");
  }
}, 30_000);

test("a stdio server that prints its token to stderr: the token is masked in the error", async () => {
  const entry: ServerEntry = {
    name: "leaky",
    source: "/h/x.json",
    format: "cursor",
    scope: "user",
    transport: "stdio",
    status: "ok",
    command: "sh",
    args: ["-c", 'echo "starting with token $API_TOKEN" >&2; exit 3'],
    env: { API_TOKEN: "sk-live-abcdef123456" },
  };
  const conn = new UpstreamConnection(entry, { timeoutMs: 10_000, logDir: dir.path, log: { debug() {}, warn() {} } });
  const err = (await conn.listTools().catch((e) => e)) as Error;
  await conn.close();
  expect(err.message).toContain("starting with token ***");
  expect(err.message).not.toContain("sk-live-abcdef123456");
}, 30_000);
