/**
 * `bridge serve` as a process: stdout carries only JSON-RPC, and it exits promptly on stdin EOF and
 * signals, leaving no child processes behind.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { TOOL_GROUPS } from "../../src/config/index.ts";
import { instructionsFor } from "../../src/mcp/server.ts";
import { effectiveHints } from "../../src/mcp/tool-def.ts";
import { bridgeEnv, requireBinary, startBridge, tempDir } from "../support/bridge.ts";

const bin = requireBinary();
const root = tempDir();
afterAll(root.cleanup);

/** Direct children of a pid, from /proc. */
function childrenOf(pid: number): number[] {
  const kids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) kids.push(Number(entry));
    } catch {}
  }
  return kids;
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Speaks raw JSON-RPC to a spawned serve and collects every stdout line. */
function rawSession(env: Record<string, string>) {
  const proc = Bun.spawn([bin, "serve"], { env, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const lines: string[] = [];
  const waiters = new Map<number, (msg: any) => void>();
  (async () => {
    let buf = "";
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
      buf += new TextDecoder().decode(chunk);
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        try {
          const msg = JSON.parse(line);
          if (msg.id !== undefined) waiters.get(msg.id)?.(msg);
        } catch {}
      }
    }
    if (buf) lines.push(buf);
  })();
  let nextId = 1;
  const send = (msg: object) => {
    proc.stdin.write(JSON.stringify(msg) + "\n");
    proc.stdin.flush();
  };
  const request = (method: string, params: object = {}) => {
    const id = nextId++;
    const reply = new Promise<any>((resolve) => waiters.set(id, resolve));
    send({ jsonrpc: "2.0", id, method, params });
    return reply;
  };
  return { proc, lines, send, request };
}

async function initialize(s: ReturnType<typeof rawSession>) {
  const init = await s.request("initialize", {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "raw", version: "1" },
  });
  s.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  return init;
}

describe("bridge serve", () => {
  test("answers initialize with its name, version and instructions", async () => {
    const bridge = await startBridge({ env: bridgeEnv(root.path) });
    try {
      expect(bridge.client.getServerVersion()?.name).toBe("bridge");
      expect(bridge.client.getServerVersion()?.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(bridge.client.getInstructions()).toBe(
        instructionsFor(TOOL_GROUPS, "Files it writes to /output come back with the result."),
      );
      const { tools } = await bridge.client.listTools();
      expect(tools.map((t) => t.name)).toEqual([
        "run_python",
        "escalate_to_claude",
        "run_script",
        "get_job",
        "cancel_job",
      ]);
      // Only hints that differ from the spec defaults are listed; what they mean is unchanged.
      expect(effectiveHints(tools.find((t) => t.name === "get_job")!.annotations)).toMatchObject({
        readOnly: true,
        openWorld: false,
      });
      expect(effectiveHints(tools.find((t) => t.name === "cancel_job")!.annotations)).toMatchObject({
        readOnly: false,
        destructive: true,
        idempotent: true,
      });
    } finally {
      await bridge.close();
    }
  });

  test("every stdout line is JSON-RPC, and it exits within 1 s of stdin EOF with work and timers running", async () => {
    const s = rawSession(bridgeEnv(root.path, { MCP_BRIDGE_LOG_LEVEL: "debug", MCP_BRIDGE_POOL_SIZE: "1" }));
    const init = await initialize(s);
    expect(init.result.serverInfo.name).toBe("bridge");
    const list = await s.request("tools/list");
    expect(list.result.tools.length).toBeGreaterThan(0);
    // A session call leaves an idle timer and a live container; a bad call exercises error paths.
    const call = await s.request("tools/call", {
      name: "run_python",
      arguments: { code: "x = 41\nprint('hi')\nx + 1", session: "t" },
    });
    expect(call.result.isError).toBeFalsy();
    const bad = await s.request("tools/call", { name: "no_such_tool", arguments: {} });
    expect(bad.error ?? bad.result?.isError).toBeTruthy();
    await s.request("ping");
    const kids = childrenOf(s.proc.pid);

    const closedAt = performance.now();
    s.proc.stdin.end();
    const code = await s.proc.exited;
    const elapsed = performance.now() - closedAt;
    expect(code).toBe(0);
    expect(elapsed).toBeLessThan(1000);

    expect(s.lines.length).toBeGreaterThanOrEqual(5);
    for (const line of s.lines) {
      const msg = JSON.parse(line);
      expect(msg.jsonrpc).toBe("2.0");
    }
    // Container clean-up finishes after exit (podman's --rm and `rm -f` take a moment on a busy
    // host); what must not happen is anything lingering.
    const owner = String(s.proc.pid);
    const leftovers = () => {
      const ps = Bun.spawnSync(["podman", "ps", "-a", "-q", "--filter", `label=io.bridge.owner=${owner}`], {
        stdout: "pipe",
      });
      return { processes: kids.filter(alive), containers: ps.stdout.toString().trim().split("\n").filter(Boolean) };
    };
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (leftovers().processes.length || leftovers().containers.length))
      await Bun.sleep(250);
    expect(leftovers(), "processes or containers left behind").toEqual({ processes: [], containers: [] });
  }, 120_000);

  test("SIGTERM and SIGINT end it cleanly", async () => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const s = rawSession(bridgeEnv(root.path));
      await initialize(s);
      await s.request("tools/list");
      s.proc.kill(signal);
      const started = performance.now();
      const code = await s.proc.exited;
      expect(performance.now() - started).toBeLessThan(1500);
      expect(code).toBe(signal === "SIGTERM" ? 143 : 130);
      for (const line of s.lines) expect(JSON.parse(line).jsonrpc).toBe("2.0");
    }
  });
});
