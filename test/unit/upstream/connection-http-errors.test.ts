/**
 * An HTTP server that cannot be reached says why (refused, HTTP 401), not "closed the connection;
 * it wrote nothing to stderr" with a stderr log an HTTP server never has.
 */
import { afterAll, expect, test } from "bun:test";
import { UpstreamConnection } from "../../../src/upstream/connection.ts";
import type { ServerEntry } from "../../../src/upstream/types.ts";
import { tempDir } from "../../support/bridge.ts";

const dir = tempDir("bridge-conn-http-");
afterAll(dir.cleanup);
const entry = (url: string): ServerEntry => ({
  name: "hosted",
  source: "/h/.claude.json",
  format: "claude-code",
  scope: "user",
  transport: "http",
  status: "ok",
  url,
});

async function startError(url: string): Promise<{ message: string; hint?: string }> {
  const conn = new UpstreamConnection(entry(url), {
    timeoutMs: 10_000,
    logDir: dir.path,
    log: { debug() {}, warn() {} },
  });
  const err = (await conn.listTools().catch((e) => e)) as Error & { hint?: string };
  await conn.close();
  return err;
}

test("refused: the cause is named, no stderr is mentioned", async () => {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const port = probe.port!;
  probe.stop(true);
  const err = await startError(`http://127.0.0.1:${port}/mcp?apiKey=zzSecret123`);
  expect(err.message).toMatch(
    /could not start \(url http:\/\/127\.0\.0\.1:\d+\/mcp\?apiKey=\*\*\*\): .*(ECONNREFUSED|Unable to connect)/,
  );
  expect(`${err.message} ${err.hint}`).not.toMatch(/stderr/);
  expect(`${err.message} ${err.hint}`).not.toContain("zzSecret123");
}, 30_000);

test("HTTP 401: the status reaches the message", async () => {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("bad key", { status: 401 }) });
  try {
    const err = await startError(`http://127.0.0.1:${server.port}/mcp`);
    expect(err.message).toContain("401");
    expect(err.message).not.toMatch(/stderr/);
  } finally {
    server.stop(true);
  }
}, 30_000);
