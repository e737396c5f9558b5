/** A client we did not write: the MCP Inspector CLI lists the compiled binary's tools. */
import { afterAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import { bridgeEnv, requireBinary, tempDir } from "../support/bridge.ts";

const root = tempDir();
afterAll(root.cleanup);

test("MCP Inspector CLI lists bridge's tools", async () => {
  const inspector = resolve(import.meta.dir, "../../node_modules/.bin/mcp-inspector");
  const env = bridgeEnv(root.path);
  const envArgs = ["BRIDGE_ROOT", "HOME", "MCP_BRIDGE_IMAGE", "MCP_BRIDGE_LOG_LEVEL"].flatMap((k) => ["-e", `${k}=${env[k]}`]);
  const proc = Bun.spawn([inspector, "--cli", ...envArgs, requireBinary(), "serve", "--method", "tools/list"], {
    env, stdin: "ignore", stdout: "pipe", stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(code, `inspector failed: ${err}`).toBe(0);
  const parsed = JSON.parse(out);
  const names = parsed.tools.map((t: { name: string }) => t.name);
  expect(names).toContain("run_python");
}, 60_000);
