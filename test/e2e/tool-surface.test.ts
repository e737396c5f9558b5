/**
 * The tool surface end to end, with the compiled binary and a real engine: results that survive
 * whatever a run produces, the string forms real clients send, tool groups that start only what
 * they need (checked with logging engine shims on PATH), no image pulls, and a warm pool that waits
 * for the handshake.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bridgeEnv, requireBinary, resultText, startBridge, tempDir, type RunningBridge } from "../support/bridge.ts";
import { ENGINES, containersOwnedBy, waitFor } from "../support/sandbox-engines.ts";

type Result = {
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};
const usable = ENGINES.find((e) => e.usable);
const engine = usable?.engine ?? "podman";

/** A PATH directory whose `podman` and `docker` log their argv to `log`, then run the real one (or fail when `real` is false). */
function engineShims(dir: string, log: string, real: boolean): string {
  mkdirSync(dir, { recursive: true });
  for (const name of ["podman", "docker"]) {
    const target = Bun.which(name);
    const tail = real && target ? `exec ${target} "$@"` : "exit 127";
    writeFileSync(join(dir, name), `#!/bin/sh\necho "${name} $*" >> ${log}\n${tail}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}
const logged = (log: string) => (existsSync(log) ? readFileSync(log, "utf8") : "");

describe.skipIf(!usable)(`run_python results survive whatever the code does (${engine})`, () => {
  const root = tempDir();
  let b: RunningBridge;
  const run = async (args: Record<string, unknown>) =>
    (await b.client.callTool({ name: "run_python", arguments: args }, undefined, { timeout: 180_000 })) as Result;
  beforeAll(async () => {
    b = await startBridge({
      env: bridgeEnv(root.path, {
        MCP_BRIDGE_ENGINE: engine,
        MCP_BRIDGE_POOL_SIZE: "1",
        MCP_BRIDGE_TIMEOUT: "10s",
        MCP_BRIDGE_MAX_TIMEOUT: "20s",
        MCP_BRIDGE_TOOLS: "sandbox",
      }),
    });
  });
  afterAll(async () => {
    await b?.close();
    root.cleanup();
  }, 60_000);

  test("sys.exit(False), sys.exit('bye'), sys.exit(2.5): printed output and the exit status Python would give", async () => {
    const cases: Array<[string, number, boolean, string]> = [
      ["False", 0, false, ""],
      ['"bye"', 1, true, "bye"],
      ["2.5", 1, true, "2.5"],
    ];
    for (const [arg, code, isError, printed] of cases) {
      const r = await run({ code: `print("before")\nimport sys\nsys.exit(${arg})` });
      expect(r.structuredContent, arg).toMatchObject({ status: "exit", exit_code: code });
      expect(String(r.structuredContent!.output)).toContain("before");
      if (printed) expect(String(r.structuredContent!.output)).toContain(printed);
      expect(Boolean(r.isError), arg).toBe(isError);
      expect(resultText(r)).toContain("before");
    }
  }, 120_000);

  test("a huge repr and a non-UTF-8 byte stream", async () => {
    const huge = await run({ code: 'print("before")\nlist(range(3_000_000))' });
    expect(huge.isError).toBeFalsy();
    expect(huge.structuredContent).toMatchObject({ status: "ok", output: "before\n" });
    expect(String(huge.structuredContent!.result).length).toBeLessThan(200_000);
    const bytes = await run({
      code: 'import sys\nsys.stdout.buffer.write(b"ok \\xff\\xfe\\xc3 end\\n")\nsys.stdout.flush()\nprint("after")',
    });
    expect(bytes.isError).toBeFalsy();
    expect(bytes.structuredContent!.status).toBe("ok");
    expect(String(bytes.structuredContent!.output)).toMatch(/^ok .+ end\nafter\n$/s);
  }, 120_000);

  test("string-typed timeout and servers work; a string that is no number is refused clearly", async () => {
    const r = await run({ code: "6*7", timeout: "10", servers: "[]" });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ status: "ok", result: "42" });
    const bad = await run({ code: "1", timeout: "ten" });
    expect(bad.isError).toBe(true);
    expect(resultText(bad)).toMatch(/Invalid arguments for tool run_python.*timeout/s);
  }, 60_000);

  test("a timeout above the maximum is clamped and the result says so", async () => {
    const r = await run({ code: "1", timeout: "500" });
    expect(r.structuredContent).toMatchObject({
      status: "ok",
      note: "timeout 500 s is above the maximum; ran with 20 s",
    });
    expect(resultText(r)).toContain("ran with 20 s");
  }, 60_000);

  test("a sandbox-only bridge lists run_python alone and creates no queue directories", async () => {
    expect((await b.client.listTools()).tools.map((t) => t.name)).toEqual(["run_python"]);
    expect(existsSync(join(root.path, "queue"))).toBe(false);
  });
});

describe("tool groups start only what they need", () => {
  const root = tempDir();
  afterAll(root.cleanup);

  test("an escalation-only bridge never runs a container engine", async () => {
    const log = join(root.path, "engine.log");
    const shims = engineShims(join(root.path, "shims"), log, false);
    const b = await startBridge({
      env: bridgeEnv(root.path, { PATH: `${shims}:${process.env.PATH}` }),
      args: ["--tools", "escalation,jobs"],
    });
    try {
      expect((await b.client.listTools()).tools.map((t) => t.name)).toEqual([
        "escalate_to_claude",
        "get_job",
        "cancel_job",
      ]);
      // No worker (or not even a queue token) here: either way it answers at once, without any engine.
      const r = (await b.client.callTool({ name: "escalate_to_claude", arguments: { request: "hi" } })) as Result;
      expect(r.isError).toBe(true);
      await b.client.callTool({ name: "get_job", arguments: {} });
      await Bun.sleep(1000);
    } finally {
      await b.close();
    }
    expect(logged(log)).toBe("");
  }, 60_000);

  test("a bad --tools value is a usage error naming the groups", async () => {
    const r = Bun.spawnSync([requireBinary(), "serve", "--tools", "sandbox,nope"], {
      env: bridgeEnv(root.path),
      stdin: "ignore",
      stderr: "pipe",
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString()).toContain("sandbox, escalation, scripts, jobs");
  });
});

describe.skipIf(!usable)(`startup footprint (${engine})`, () => {
  const root = tempDir();
  afterAll(root.cleanup);

  test("the pool warms only after the client's initialized notification, so it never delays initialize", async () => {
    const log = join(root.path, "warm.log");
    const shims = engineShims(join(root.path, "shims-warm"), log, true);
    const proc = Bun.spawn([requireBinary(), "serve"], {
      env: bridgeEnv(root.path, {
        PATH: `${shims}:${process.env.PATH}`,
        MCP_BRIDGE_ENGINE: engine,
        MCP_BRIDGE_POOL_SIZE: "1",
        MCP_BRIDGE_TOOLS: "sandbox",
      }),
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    const send = (msg: unknown) => {
      proc.stdin.write(`${JSON.stringify(msg)}\n`);
      proc.stdin.flush();
    };
    const reader = proc.stdout.getReader();
    send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    });
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain('"serverInfo"');
    await Bun.sleep(1500);
    expect(logged(log)).toBe("");
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    expect(await waitFor(() => logged(log).includes(" run "), 60_000)).toBe(true);
    proc.stdin.end();
    await proc.exited;
    expect(await waitFor(() => containersOwnedBy(engine, proc.pid).length === 0, 15_000)).toBe(true);
  }, 120_000);

  test("serve never pulls: a missing image is an error that says how to get one", async () => {
    const log = join(root.path, "pull.log");
    const shims = engineShims(join(root.path, "shims-pull"), log, true);
    const b = await startBridge({
      env: bridgeEnv(root.path, {
        PATH: `${shims}:${process.env.PATH}`,
        MCP_BRIDGE_ENGINE: engine,
        MCP_BRIDGE_IMAGE: "localhost/bridge-no-such-image:0",
        MCP_BRIDGE_TOOLS: "sandbox",
      }),
    });
    try {
      const r = (await b.client.callTool({ name: "run_python", arguments: { code: "1" } })) as Result;
      expect(r.isError).toBe(true);
      expect(resultText(r)).toContain("localhost/bridge-no-such-image:0 is not in");
      expect(resultText(r)).toContain(`${engine} pull localhost/bridge-no-such-image:0`);
      expect(resultText(r)).toContain("image build --use");
    } finally {
      await b.close();
    }
    expect(logged(log)).not.toMatch(/ pull /);
    expect(readdirSync(root.path)).not.toContain("queue");
  }, 60_000);
});
