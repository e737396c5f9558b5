/**
 * Unbounded memory in serve from an upstream server: a stdio server that floods stdout with one
 * endless line (no newline) was closed at the message limit, but serve peaked at ~618 MB on the way
 * (the SDK's ReadBuffer copies the whole partial line into a new Buffer on every chunk). A line is
 * now counted past the limit, not kept. A fresh serve runs one call that starts the server; its
 * peak resident memory (VmHWM) is read afterwards; the goal is 200 MB, as in sandbox-memory.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bridgeEnv, startBridge, tempDir } from "../support/bridge.ts";
import { ENGINES } from "../support/sandbox-engines.ts";
import { alive, floodingServer, wrapperTree } from "../support/upstream-misbehaving.ts";

const GOAL = 200 * 1024 * 1024;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;
const usable = ENGINES.find((e) => e.usable);

describe.skipIf(!usable)(`serve's memory against a flooding upstream server (${usable?.engine ?? "no engine"})`, () => {
  test("endless stdout without a newline: the server is closed with a clear error, its group ended, serve stays under 200 MB", async () => {
    const root = tempDir("bridge-sec-flood-");
    const marker = `bridge-flood-${process.pid}-${Date.now()}`;
    const config = join(root.path, "servers.json");
    writeFileSync(config, JSON.stringify({ mcpServers: { flood: floodingServer(marker) } }));
    const b = await startBridge({
      env: bridgeEnv(root.path, {
        MCP_BRIDGE_ENGINE: usable!.engine,
        MCP_BRIDGE_POOL_SIZE: "1",
        MCP_SERVERS_CONFIG: config,
        MCP_BRIDGE_UPSTREAM_TIMEOUT: "90s",
      }),
    });
    try {
      const code = "try:\n    await list_tools('flood')\nexcept Exception as e:\n    print('ERROR', e)";
      const r = (await b.client.callTool({ name: "run_python", arguments: { code, timeout: 110 } }, undefined, {
        timeout: 150_000,
      })) as { structuredContent?: { output: string } };
      const peak = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${b.pid()}/status`, "utf8"))![1]) * 1024;
      const output = r.structuredContent?.output ?? "";
      expect(output).toMatch(
        /ERROR .*server flood sent a message larger than [\d.]+ MiB; bridge closed the connection/,
      );
      const end = Date.now() + 5000;
      while (Date.now() < end && wrapperTree(marker).some(alive)) await Bun.sleep(100);
      expect(wrapperTree(marker)).toEqual([]);
      console.error(`serve peak RSS (VmHWM): ${mb(peak)}`);
      expect(peak, `peak RSS ${mb(peak)}`).toBeLessThan(GOAL);
    } finally {
      await b.close();
      root.cleanup();
    }
  }, 180_000);
});
