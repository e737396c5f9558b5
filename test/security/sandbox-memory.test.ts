/**
 * Unbounded memory in serve (issue 8, Medium 7): with a progressToken, one 30 MB write took serve
 * to 637 MB and 200 writes of 1 MB to ~4 GB; one 100 MB host-call frame to 580 MB; 12 MB of `[],` in
 * host-call parameters (under the byte cap) to 400 MB once parsed. Every byte path
 * from the sandbox is now capped before it is buffered. Each case starts a fresh serve and reads its
 * peak resident memory (VmHWM) afterwards; the goal is 200 MB whatever one call prints or sends.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { bridgeEnv, startBridge, tempDir } from "../support/bridge.ts";
import { ENGINES } from "../support/sandbox-engines.ts";

const GOAL = 200 * 1024 * 1024;
type Result = {
  content: Array<{ type: string }>;
  structuredContent?: { status: string; output: string; error?: string };
};

/** Runs one call in a fresh serve; returns its result, serve's peak RSS and the progress messages. */
async function measure(engine: string, code: string, progress: boolean) {
  const root = tempDir();
  const b = await startBridge({ env: bridgeEnv(root.path, { MCP_BRIDGE_ENGINE: engine, MCP_BRIDGE_POOL_SIZE: "1" }) });
  const messages: string[] = [];
  try {
    const r = (await b.client.callTool({ name: "run_python", arguments: { code } }, undefined, {
      timeout: 180_000,
      ...(progress ? { onprogress: (p: { message?: string }) => void messages.push(p.message ?? "") } : {}),
    })) as Result;
    const peak = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${b.pid()}/status`, "utf8"))![1]) * 1024;
    return { r, peak, messages };
  } finally {
    await b.close();
    root.cleanup();
  }
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;

for (const { engine, usable } of ENGINES) {
  describe.skipIf(!usable)(
    `serve's memory against one hostile call on ${engine}${usable ? "" : " (SKIPPED: not installed)"}`,
    () => {
      test("30 MB in one write, with a progressToken", async () => {
        const { r, peak, messages } = await measure(
          engine,
          "import sys\nsys.stdout.write('x' * 30_000_000 + '\\n')",
          true,
        );
        expect(r.structuredContent?.status).toBe("ok");
        // One note, as the client receives it (fit.ts), with the size the code wrote; the sandbox's own wider cut is not shown.
        expect(r.structuredContent?.output).toContain("output cut: the code wrote 29 MiB (30000001 bytes)");
        expect(r.structuredContent?.output.match(/cut/g)).toHaveLength(1);
        expect(messages.length).toBeGreaterThan(0);
        for (const m of messages) expect(m.length).toBeLessThan(8300);
        expect(peak, `peak RSS ${mb(peak)}`).toBeLessThan(GOAL);
      }, 180_000);

      test("200 writes of 1 MB without a newline, with a progressToken", async () => {
        const { r, peak } = await measure(
          engine,
          "import sys\nfor _ in range(200): sys.stdout.write('y' * 1_000_000)",
          true,
        );
        expect(r.structuredContent?.status).toBe("ok");
        expect(peak, `peak RSS ${mb(peak)}`).toBeLessThan(GOAL);
      }, 180_000);

      test("a 100 MB host-call frame is refused unread", async () => {
        const code =
          "import _bridge\ntry:\n    _bridge.call_sync('memory.list', 'x' * 100_000_000)\nexcept _bridge.BridgeCallError as e:\n    print(e)";
        const { r, peak } = await measure(engine, code, false);
        expect(r.structuredContent?.output).toContain(
          "its parameters are 100000002 bytes, more than the 12582912 bytes one call may send",
        );
        expect(peak, `peak RSS ${mb(peak)}`).toBeLessThan(GOAL);
      }, 180_000);

      test("host-call parameters that JSON.parse would blow up (12 MB of empty lists, deep nesting) are refused before parsing", async () => {
        // Each under the 12 MiB byte cap; parsed, 3 M empty lists took serve past 300 MB, two at once past 700 MB.
        const code = [
          "import _bridge, threading",
          "flat = [[]] * 2_900_000",
          "errors = []",
          "def call(params):",
          "    try:",
          "        _bridge.call_sync('memory.list', params)",
          "    except _bridge.BridgeCallError as e:",
          "        errors.append(str(e).splitlines()[0])",
          "ts = [threading.Thread(target=call, args=(flat,)) for _ in range(2)]",
          "[t.start() for t in ts]; [t.join() for t in ts]",
          "k = show_image.__self__",
          "import concurrent.futures",
          "fut = concurrent.futures.Future(); k.pending[77777] = fut",
          "k.send({'t': 'call', 'cid': 77777, 'method': 'memory.list'}, b'[' * 100_000 + b']' * 100_000)",
          "try:\n    fut.result(60)\nexcept Exception as e:\n    errors.append(str(e).splitlines()[0])",
          "print('\\n'.join(sorted(errors)))",
        ].join("\n");
        const { r, peak } = await measure(engine, code, false);
        const out = r.structuredContent?.output ?? "";
        expect(out.match(/JSON values/g)?.length, out.slice(0, 500)).toBe(2);
        expect(out).toContain("nested more than 512 levels deep");
        expect(peak, `peak RSS ${mb(peak)}`).toBeLessThan(GOAL);
      }, 180_000);

      test("a forged 50 MB image frame is dropped unread", async () => {
        const code =
          "k = show_image.__self__\nk.send({'t': 'image'}, b'\\x89PNG\\r\\n\\x1a\\n' + b'i' * 50_000_000)\nprint('sent')";
        const { r, peak } = await measure(engine, code, false);
        expect(r.content.filter((c) => c.type === "image")).toHaveLength(0);
        expect(r.structuredContent?.output).toContain("image dropped: 50000008 bytes");
        expect(peak, `peak RSS ${mb(peak)}`).toBeLessThan(GOAL);
      }, 180_000);
    },
  );
}
