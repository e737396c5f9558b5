/** The registry against server-everything over streamable HTTP on loopback, with configured headers. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UpstreamRegistry } from "../../../src/upstream/registry.ts";

let upstream: Bun.Subprocess | undefined;
let proxy: ReturnType<typeof Bun.serve> | undefined;
let port = 0;
const seenHeaders: string[] = [];
const state = mkdtempSync(join(tmpdir(), "bridge-upstream-http-"));

beforeAll(async () => {
  for (let attempt = 0; attempt < 5 && !upstream; attempt++) {
    port = 20000 + Math.floor(Math.random() * 30000);
    const proc = Bun.spawn([resolve("node_modules/.bin/mcp-server-everything"), "streamableHttp"], {
      env: { ...process.env, PORT: String(port) },
      stdout: "ignore",
      stderr: "pipe",
    });
    const reader = proc.stderr.getReader();
    let text = "";
    const deadline = Date.now() + 15_000;
    // One read in flight at a time: a read raced against a timer and then dropped would swallow its chunk.
    let pending: ReturnType<typeof reader.read> | undefined;
    while (Date.now() < deadline && !/listening on port|in use/i.test(text)) {
      pending ??= reader.read();
      const r = await Promise.race([pending, Bun.sleep(500).then(() => undefined)]);
      if (!r) continue;
      pending = undefined;
      if (r.done) break;
      if (r.value) text += new TextDecoder().decode(r.value);
    }
    if (!pending) reader.releaseLock();
    if (/listening on port/i.test(text)) upstream = proc;
    else proc.kill();
  }
  if (!upstream) throw new Error("could not start mcp-server-everything streamableHttp on loopback");
  // A loopback pass-through that records the auth header bridge sends.
  proxy = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      seenHeaders.push(req.headers.get("x-api-key") ?? "");
      const url = new URL(req.url);
      const headers = new Headers(req.headers);
      headers.delete("host");
      return fetch(`http://127.0.0.1:${port}${url.pathname}${url.search}`, {
        method: req.method,
        headers,
        body: req.body,
        duplex: "half",
      } as RequestInit);
    },
  });
}, 40_000);

afterAll(() => {
  upstream?.kill();
  proxy?.stop(true);
  rmSync(state, { recursive: true, force: true });
});

test("lists and calls tools over streamable HTTP, sending the configured headers", async () => {
  const registry = new UpstreamRegistry({
    discover: async () => [
      {
        name: "remote",
        source: "/t/.mcp.json",
        format: "cursor",
        scope: "user",
        transport: "http",
        url: `http://127.0.0.1:${proxy!.port}/mcp`,
        headers: { "x-api-key": "secret-123" },
        status: "ok",
      },
    ],
    stateDir: state,
    timeoutMs: 15_000,
    log: { debug() {}, warn() {} },
  });
  try {
    const tools = await registry.tools("remote");
    expect(tools.map((t) => t.name)).toContain("get-sum");
    const res = await registry.call("remote", "get-sum", { a: 1, b: 2 });
    expect(JSON.stringify(res.content)).toContain("3");
    expect(seenHeaders.length).toBeGreaterThan(1);
    expect(seenHeaders.every((h) => h === "secret-123")).toBe(true);
  } finally {
    await registry.closeAll();
  }
}, 60_000);
