/**
 * Attacks through the upstream proxies (issue 14). Sandboxed code can make an upstream server send
 * requests to bridge as its client: a sampling or elicitation request must reach the user's client
 * only as part of the one run_python call it belongs to — never attributed to another call, never
 * answered by bridge. And output the code prints must not be able to make a result too large for
 * the client's transport once JSON-escaped (3 MB of control characters used to become ~18 MB and
 * drop the client's connection when MCP_BRIDGE_MAX_OUTPUT was raised).
 */
import { describe, expect, test } from "bun:test";
import { McpError, RELATED_TASK_META_KEY } from "@modelcontextprotocol/sdk/types.js";
import type { CallOrigin } from "../../src/sandbox/extension.ts";
import { CallTracker } from "../../src/upstream/client-requests.ts";
import { bridgeEnv, startBridge, tempDir } from "../support/bridge.ts";
import { ENGINES } from "../support/sandbox-engines.ts";

const origin = (name: string): CallOrigin & { name: string } => ({
  name,
  request: async () => ({}),
  progress: () => {},
});

describe("a server's request is tied to exactly one call", () => {
  test("no call in flight, or two calls at once: refused with bridge's reason; one call or a named task: that call", () => {
    const tracker = new CallTracker();
    expect(() => tracker.originFor("ev", "sampling/createMessage", undefined)).toThrow(
      /no run_python call is using this server/,
    );
    const a = origin("a");
    const b = origin("b");
    const endA = tracker.begin(a);
    expect(tracker.originFor("ev", "sampling/createMessage", undefined)).toBe(a);
    const endB = tracker.begin(b);
    let err: unknown;
    try {
      tracker.originFor("ev", "elicitation/create", undefined);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(McpError);
    expect(String((err as Error).message)).toContain("2 run_python calls are using this server at once");
    const unbind = tracker.bindTask("task-1", b);
    expect(tracker.originFor("ev", "elicitation/create", { [RELATED_TASK_META_KEY]: { taskId: "task-1" } })).toBe(b);
    unbind();
    endB();
    expect(tracker.originFor("ev", "sampling/createMessage", undefined)).toBe(a);
    endA();
    // A call without a client (bridge run) is never a forwarding target.
    const endNone = tracker.begin(undefined);
    expect(() => tracker.originFor("ev", "sampling/createMessage", undefined)).toThrow(
      /no MCP client to forward it to/,
    );
    endNone();
  });
});

const usable = ENGINES.find((e) => e.usable);
describe.skipIf(!usable)(`output the client's transport cannot carry (${usable?.engine ?? "no engine"})`, () => {
  test("3 MB of control characters with MCP_BRIDGE_MAX_OUTPUT=3m: the result fits as sent and the connection survives", async () => {
    const root = tempDir("bridge-sec-escaping-");
    const bridge = await startBridge({
      env: bridgeEnv(root.path, {
        MCP_BRIDGE_ENGINE: usable!.engine,
        MCP_BRIDGE_MAX_OUTPUT: "3m",
        MCP_BRIDGE_POOL_SIZE: "1",
      }),
    });
    try {
      const r = (await bridge.client.callTool(
        {
          name: "run_python",
          arguments: { code: "import sys\nsys.stdout.write('START' + '\\x01' * (3 * 1024 * 1024) + 'END')" },
        },
        undefined,
        { timeout: 120_000 },
      )) as any;
      const output: string = r.structuredContent.output;
      expect(Buffer.byteLength(JSON.stringify(output))).toBeLessThanOrEqual(3 * 1024 * 1024);
      expect(output.startsWith("START")).toBe(true);
      expect(output.endsWith("END")).toBe(true);
      expect(r.structuredContent.truncated).toBe(true);
      const next = (await bridge.client.callTool(
        { name: "run_python", arguments: { code: "print('still connected')" } },
        undefined,
        { timeout: 120_000 },
      )) as any;
      expect(next.structuredContent.output).toBe("still connected\n");
    } finally {
      await bridge.close();
      root.cleanup();
    }
  }, 240_000);
});
