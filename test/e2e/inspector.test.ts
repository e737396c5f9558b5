/** A client we did not write: the MCP Inspector CLI lists the compiled binary's tools and calls one. */
import { afterAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import { bridgeEnv, requireBinary, tempDir } from "../support/bridge.ts";
import { ENGINES } from "../support/sandbox-engines.ts";

const root = tempDir();
afterAll(root.cleanup);
const usable = ENGINES.find((e) => e.usable);

async function inspector(args: string[], extraEnv: Record<string, string> = {}): Promise<any> {
  const bin = resolve(import.meta.dir, "../../node_modules/.bin/mcp-inspector");
  const env = bridgeEnv(root.path, { MCP_BRIDGE_POOL_SIZE: "0", ...extraEnv });
  const keys = [
    "BRIDGE_ROOT",
    "HOME",
    "MCP_BRIDGE_IMAGE",
    "MCP_BRIDGE_LOG_LEVEL",
    "MCP_BRIDGE_POOL_SIZE",
    ...Object.keys(extraEnv),
  ];
  const envArgs = keys.flatMap((k) => ["-e", `${k}=${env[k]}`]);
  const proc = Bun.spawn([bin, "--cli", ...envArgs, requireBinary(), "serve", ...args], {
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  expect(code, `inspector failed: ${err}`).toBe(0);
  return JSON.parse(out);
}

test("MCP Inspector CLI lists bridge's reduced tools", async () => {
  const parsed = await inspector(["--method", "tools/list"]);
  expect(parsed.tools.map((t: { name: string }) => t.name)).toEqual([
    "run_python",
    "escalate_to_claude",
    "run_script",
    "get_job",
    "cancel_job",
  ]);
  const sandboxOnly = await inspector(["--method", "tools/list"], { MCP_BRIDGE_TOOLS: "sandbox" });
  expect(sandboxOnly.tools.map((t: { name: string }) => t.name)).toEqual(["run_python"]);
}, 60_000);

test.skipIf(!usable)(
  "MCP Inspector CLI calls run_python (its --tool-arg values arrive as it sends them)",
  async () => {
    const parsed = await inspector(
      [
        "--method",
        "tools/call",
        "--tool-name",
        "run_python",
        "--tool-arg",
        "code=print(6*7)",
        "--tool-arg",
        "timeout=10",
      ],
      { MCP_BRIDGE_ENGINE: usable!.engine },
    );
    expect(parsed.isError ?? false).toBe(false);
    expect(parsed.structuredContent).toMatchObject({ status: "ok", output: "42\n" });
  },
  120_000,
);
