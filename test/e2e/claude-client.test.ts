/**
 * The real Claude Code CLI as bridge's MCP client (`claude -p --mcp-config`), its model replaced by
 * the fake Messages API: it lists the reduced tools, calls them, and the test reads exactly what
 * the model was shown (Claude Code shows structuredContent instead of the text block when present).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { bridgeEnv, requireBinary, tempDir } from "../support/bridge.ts";
import { CLAUDE_BIN, claudeEnv } from "../support/claude-cli.ts";
import { startFakeAnthropic, type FakeAnthropic } from "../support/fake-anthropic.ts";
import { ENGINES } from "../support/sandbox-engines.ts";

const usable = ENGINES.find((e) => e.usable);
const TOOLS = ["run_python", "escalate_to_claude", "run_script", "get_job", "cancel_job"];

describe.skipIf(!usable)(`Claude Code as the MCP client (${usable?.engine ?? "no engine"})`, () => {
  const root = tempDir();
  let fake: FakeAnthropic;
  beforeAll(() => {
    fake = startFakeAnthropic();
  });
  afterAll(async () => {
    await fake.stop();
    root.cleanup();
  });

  /** Runs one `claude -p` session with bridge configured; returns the requests the fake API got. */
  async function session(
    replies: Parameters<FakeAnthropic["script"]>[0],
    extraEnv: Record<string, string> = {},
    bridgeSettings: Record<string, string> = {},
  ) {
    fake.script(replies);
    fake.requests.length = 0;
    const home = join(root.path, `home-${Date.now()}`);
    mkdirSync(home);
    const env = bridgeEnv(root.path, { MCP_BRIDGE_ENGINE: usable!.engine, MCP_BRIDGE_POOL_SIZE: "1" });
    const config = join(root.path, "mcp.json");
    const serverEnv = {
      ...Object.fromEntries(
        ["BRIDGE_ROOT", "MCP_BRIDGE_IMAGE", "MCP_BRIDGE_ENGINE", "MCP_BRIDGE_POOL_SIZE", "MCP_BRIDGE_LOG_LEVEL"].map(
          (k) => [k, env[k]!],
        ),
      ),
      ...bridgeSettings,
    };
    writeFileSync(
      config,
      JSON.stringify({ mcpServers: { bridge: { command: requireBinary(), args: ["serve"], env: serverEnv } } }),
    );
    const allowed = TOOLS.map((t) => `mcp__bridge__${t}`).join(",");
    const proc = Bun.spawn(
      [
        CLAUDE_BIN,
        "-p",
        "use bridge",
        "--mcp-config",
        config,
        "--strict-mcp-config",
        "--allowedTools",
        allowed,
        "--output-format",
        "json",
      ],
      {
        env: claudeEnv(fake, home, { ENABLE_TOOL_SEARCH: "false", ...extraEnv }),
        cwd: root.path,
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
    return fake.requests.filter((r) => r.scripted);
  }

  /** The tool_result blocks the CLI sent back to the model, by tool_use id order. */
  const toolResults = (requests: Array<{ body: any }>) =>
    requests
      .at(-1)!
      .body.messages.flatMap((m: any) => (Array.isArray(m.content) ? m.content : []))
      .filter((c: any) => c.type === "tool_result");

  test("the model sees bridge's five tools with their descriptions and compact input schemas", async () => {
    const requests = await session([{ kind: "text", text: "nothing to do" }]);
    const tools = requests[0]!.body.tools.filter((t: any) => t.name.startsWith("mcp__bridge__"));
    expect(tools.map((t: any) => t.name.replace("mcp__bridge__", "")).sort()).toEqual([...TOOLS].sort());
    const runPython = tools.find((t: any) => t.name === "mcp__bridge__run_python");
    expect(runPython.description).toContain("search_tool_docs(");
    expect(runPython.description).toContain("mcp_<server>.<tool>(");
    expect(JSON.stringify(runPython.input_schema)).not.toContain("9007199254740991");
    const cost = tools.reduce(
      (n: number, t: any) =>
        n + countTokens(JSON.stringify({ name: t.name, description: t.description, input_schema: t.input_schema })),
      0,
    );
    console.error(`bridge's tools as Claude Code sends them to the model: ${cost} o200k tokens`);
  }, 120_000);

  test("calls run_python and get_job; the model is shown the compact structured result", async () => {
    const requests = await session([
      { kind: "tool_use", name: "mcp__bridge__run_python", input: { code: "print('hi')\n6*7", timeout: "10" } },
      { kind: "tool_use", name: "mcp__bridge__get_job", input: {} },
      { kind: "text", text: "done" },
    ]);
    const [python, jobs] = toolResults(requests);
    const texts = (block: any): string[] =>
      typeof block.content === "string"
        ? [block.content]
        : block.content.filter((c: any) => c.type === "text").map((c: any) => c.text);
    const shown = texts(python);
    // Claude Code replaces the text block with the structuredContent JSON: it must be the compact form.
    expect(shown).toEqual([JSON.stringify({ status: "ok", output: "hi\n", result: "42" })]);
    expect(python.is_error ?? false).toBe(false);
    expect(countTokens(shown[0])).toBeLessThanOrEqual(countTokens("hi\n=> 42") + 20);
    expect(texts(jobs).join("\n")).toMatch(/jobs|token|worker/i);
  }, 180_000);

  test("result files: the model is shown where each file went, with its type and size, compactly", async () => {
    const out = tempDir("bridge-reports-"); // outside BRIDGE_ROOT, which may never be allowed
    afterAll(out.cleanup);
    const reports = out.path;
    const requests = await session(
      [
        {
          kind: "tool_use",
          name: "mcp__bridge__run_python",
          input: { code: "open('/output/summary.csv', 'w').write('region,sum\\nnorth,15\\n')\nprint('saved')" },
        },
        { kind: "text", text: "done" },
      ],
      {},
      { MCP_BRIDGE_OUTPUT_FOLDER: reports },
    );
    const [python] = toolResults(requests);
    const blocks = typeof python.content === "string" ? [{ type: "text", text: python.content }] : python.content;
    const structured = JSON.parse(blocks.find((c: any) => c.type === "text" && c.text.startsWith("{")).text);
    expect(structured).toEqual({
      status: "ok",
      output: "saved\n",
      files: [{ name: "/output/summary.csv", type: "text/csv", size: 20, path: join(reports, "summary.csv") }],
    });
    // Claude Code also shows an embedded text resource, prefixed with its URI: small files reach the model as they are.
    expect(blocks[0]).toEqual({
      type: "text",
      text: "[Resource from bridge at bridge://files/1/summary.csv] region,sum\nnorth,15\n",
    });
    expect(blocks).toHaveLength(2);
  }, 180_000);
});
