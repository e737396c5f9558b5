/**
 * What the model sees through the real Claude Code CLI (against the fake Messages API) when
 * run_python output is large, and when a proxied server needs Claude Code's roots: the default
 * result size keeps head, tail and the truncation note inline (no "Output too large" file preview),
 * and server-filesystem without directory arguments works on Claude Code's project directory.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { bridgeEnv, requireBinary, tempDir } from "../support/bridge.ts";
import { CLAUDE_BIN, claudeEnv } from "../support/claude-cli.ts";
import { startFakeAnthropic, type FakeAnthropic } from "../support/fake-anthropic.ts";
import { ENGINES } from "../support/sandbox-engines.ts";

const usable = ENGINES.find((e) => e.usable);
const bin = (name: string) => resolve(import.meta.dir, "../../node_modules/.bin", name);

describe.skipIf(!usable)(`Claude Code sees proxied results whole (${usable?.engine ?? "no engine"})`, () => {
  const root = tempDir("bridge-e2e-claude-proxies-");
  const project = join(root.path, "project");
  let fake: FakeAnthropic;
  beforeAll(() => {
    fake = startFakeAnthropic();
    mkdirSync(project);
    writeFileSync(join(project, "notes.txt"), "written by the test\n");
  });
  afterAll(async () => {
    await fake.stop();
    root.cleanup();
  });

  /** One `claude -p` session in `project` with bridge (and `servers` for it); returns what the model was shown for each tool call. */
  async function session(
    replies: Parameters<FakeAnthropic["script"]>[0],
    extraEnv: Record<string, string> = {},
  ): Promise<string[]> {
    fake.script(replies);
    fake.requests.length = 0;
    const home = join(root.path, `home-${Date.now()}`);
    mkdirSync(home);
    const servers = join(root.path, "servers.json");
    writeFileSync(servers, JSON.stringify({ mcpServers: { files: { command: bin("mcp-server-filesystem") } } }));
    const env = bridgeEnv(root.path, {
      MCP_BRIDGE_ENGINE: usable!.engine,
      MCP_BRIDGE_POOL_SIZE: "1",
      MCP_SERVERS_CONFIG: servers,
      ...extraEnv,
    });
    const keys = [
      "BRIDGE_ROOT",
      "MCP_BRIDGE_IMAGE",
      "MCP_BRIDGE_ENGINE",
      "MCP_BRIDGE_POOL_SIZE",
      "MCP_BRIDGE_LOG_LEVEL",
      "MCP_SERVERS_CONFIG",
      ...Object.keys(extraEnv),
    ];
    const config = join(root.path, "mcp.json");
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: {
          bridge: { command: requireBinary(), args: ["serve"], env: Object.fromEntries(keys.map((k) => [k, env[k]!])) },
        },
      }),
    );
    const proc = Bun.spawn(
      [
        CLAUDE_BIN,
        "-p",
        "use bridge",
        "--mcp-config",
        config,
        "--strict-mcp-config",
        "--allowedTools",
        "mcp__bridge__run_python",
        "--output-format",
        "json",
      ],
      {
        env: claudeEnv(fake, home, { ENABLE_TOOL_SEARCH: "false" }),
        cwd: project,
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    expect(code, `claude failed: ${out}\n${err}`).toBe(0);
    const last = fake.requests.filter((r) => r.scripted).at(-1)!;
    const results = last.body.messages
      .flatMap((m: any) => (Array.isArray(m.content) ? m.content : []))
      .filter((c: any) => c.type === "tool_result");
    return results.map((r: any) =>
      typeof r.content === "string"
        ? r.content
        : r.content
            .filter((c: any) => c.type === "text")
            .map((c: any) => c.text)
            .join("\n"),
    );
  }

  const bigOutput = "for i in range(4000):\n    print(f'LINE {i:05d} ' + 'x' * 40 + '\\t\"q\"')";

  test("with the default cap, a 200 KB output reaches the model inline: head, truncation note and tail", async () => {
    const [shown] = await session([
      { kind: "tool_use", name: "mcp__bridge__run_python", input: { code: bigOutput } },
      { kind: "text", text: "done" },
    ]);
    expect(shown!).toContain("LINE 00000");
    expect(shown!).toContain("LINE 03999");
    expect(shown!).toMatch(/output cut: the code wrote [\d.]+ KiB \(\d+ bytes\)/);
    expect(shown!).not.toMatch(/Output too large|persisted-output/);
    console.error(`Claude Code showed the model ${shown!.length} characters of a 24 KiB-capped run_python result`);
  }, 240_000);

  test("measured: at the old 100 KB cap the model got a file preview without the tail or the note", async () => {
    const [shown] = await session(
      [
        { kind: "tool_use", name: "mcp__bridge__run_python", input: { code: bigOutput } },
        { kind: "text", text: "done" },
      ],
      { MCP_BRIDGE_MAX_OUTPUT: "100k" },
    );
    expect(shown!).toMatch(/Output too large|persisted-output/);
    expect(shown!).not.toContain("LINE 03999");
  }, 240_000);

  test("server-filesystem without directories works on Claude Code's project directory (its roots)", async () => {
    const [shown] = await session([
      {
        kind: "tool_use",
        name: "mcp__bridge__run_python",
        input: {
          code: "print(await mcp_files.list_allowed_directories())\nprint(await mcp_files.read_text_file(path='notes.txt'))",
          servers: ["files"],
        },
      },
      { kind: "text", text: "done" },
    ]);
    expect(shown!).toContain(project);
    expect(shown!).toContain("written by the test");
  }, 240_000);
});
