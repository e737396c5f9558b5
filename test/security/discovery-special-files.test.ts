/**
 * Attack (issue 8, Medium 5, discovery slice): a FIFO named like a client config file
 * (`~/.claude.json`, a repository's `.mcp.json`, `~/.cursor/mcp.json`) used to freeze whoever read it.
 * `bridge discover` must finish and report them; `serve` must keep answering and discovery from
 * run_python must complete, with the FIFOs refused and the other files still read.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bridgeEnv, requireBinary, resultText, startBridge, tempDir } from "../support/bridge.ts";
import { ENGINES } from "../support/sandbox-engines.ts";

const bin = requireBinary();
const engine = ENGINES.find((e) => e.usable)?.engine;

describe("FIFOs named like config files", () => {
  const dir = tempDir("bridge-fifo-configs-");
  afterAll(dir.cleanup);
  const home = join(dir.path, "home");
  const project = join(dir.path, "project");
  mkdirSync(join(home, ".cursor"), { recursive: true });
  mkdirSync(join(home, ".kiro", "settings"), { recursive: true });
  mkdirSync(project, { recursive: true });
  for (const fifo of [join(home, ".claude.json"), join(project, ".mcp.json"), join(home, ".cursor", "mcp.json")]) {
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
  }
  writeFileSync(
    join(home, ".kiro", "settings", "mcp.json"),
    JSON.stringify({ mcpServers: { still: { command: "sh" } } }),
  );
  const env = bridgeEnv(join(dir.path, "root"), { HOME: home });

  test("bridge discover finishes, reports each FIFO, and still reads the other files", () => {
    const r = Bun.spawnSync([bin, "discover", "--json"], {
      cwd: project,
      env,
      stdout: "pipe",
      stderr: "pipe",
      timeout: 30_000,
    });
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout.toString()) as {
      servers: Array<{ name: string }>;
      problems: Array<{ file: string; reason: string }>;
    };
    expect(doc.servers.map((s) => s.name)).toEqual(["still"]);
    expect(
      doc.problems
        .filter((p) => p.reason.includes("not a regular file (a FIFO)"))
        .map((p) => p.file)
        .sort(),
    ).toEqual([join(home, ".claude.json"), join(home, ".cursor", "mcp.json"), join(project, ".mcp.json")].sort());
  }, 60_000);

  test.skipIf(!engine)(
    `serve keeps answering; discovery from run_python completes (${engine ?? "SKIPPED: no engine"})`,
    async () => {
      const bridge = await startBridge({
        env: { ...env, MCP_BRIDGE_ENGINE: engine!, MCP_BRIDGE_POOL_SIZE: "0" },
        cwd: project,
      });
      try {
        const r = await bridge.client.callTool(
          { name: "run_python", arguments: { code: "print(await discovered_servers())" } },
          undefined,
          { timeout: 120_000 },
        );
        expect(resultText(r as { content?: unknown })).toContain("['still']");
        await bridge.client.ping({ timeout: 10_000 });
      } finally {
        await bridge.close();
      }
    },
    180_000,
  );
});
