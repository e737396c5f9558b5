/**
 * tools/list as clients see it: its o200k token cost per group (the budget this surface exists
 * for), which tools each group exposes, and annotations that mean what each tool does.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { loadConfig } from "../../../src/config/index.ts";
import { log } from "../../../src/log.ts";
import { bridgeToolListing } from "../../../src/mcp/tool-listing.ts";
import { effectiveHints } from "../../../src/mcp/tool-def.ts";

const root = mkdtempSync(join(tmpdir(), "bridge-tools-list-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function listing(env: Record<string, string> = {}): Promise<Tool[]> {
  const config = loadConfig({ env: { BRIDGE_ROOT: root, HOME: root, ...env }, readFile: () => undefined });
  return (await bridgeToolListing(config, log)) as Tool[];
}
const tokens = (tools: Tool[]) => countTokens(JSON.stringify({ tools }));

describe("token budget (o200k, the whole tools/list result)", () => {
  test("all groups ≤ 660 (idempotency_key included; the hard limit is 700), run_python ≤ 200, sandbox-only ≤ 250", async () => {
    const all = await listing();
    const runPython = all.find((t) => t.name === "run_python")!;
    const sandboxOnly = await listing({ MCP_BRIDGE_TOOLS: "sandbox" });
    console.error(
      `tools/list: all ${tokens(all)}, run_python ${countTokens(JSON.stringify(runPython))}, sandbox-only ${tokens(sandboxOnly)} o200k tokens`,
    );
    expect(tokens(all)).toBeLessThanOrEqual(660);
    expect(countTokens(JSON.stringify(runPython))).toBeLessThanOrEqual(200);
    expect(tokens(sandboxOnly)).toBeLessThanOrEqual(250);
    // Long configured limits must not push run_python over its budget.
    const long = (await listing({ MCP_BRIDGE_TIMEOUT: "2.5s", MCP_BRIDGE_MAX_TIMEOUT: "3600s" })).find(
      (t) => t.name === "run_python",
    )!;
    expect(countTokens(JSON.stringify(long))).toBeLessThanOrEqual(200);
  });

  test("written for size: no $schema, no ±2^53 bounds anywhere", async () => {
    const text = JSON.stringify(await listing());
    expect(text).not.toContain("$schema");
    expect(text).not.toContain("9007199254740991");
  });

  test("run_python's definition is the same for 1 and 100 configured servers", async () => {
    const servers = (n: number) => {
      const file = join(root, `servers-${n}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          mcpServers: Object.fromEntries(Array.from({ length: n }, (_, i) => [`s${i}`, { command: "true" }])),
        }),
      );
      return { MCP_SERVERS_CONFIG: file };
    };
    expect(await listing(servers(100))).toEqual(await listing(servers(1)));
  });
});

describe("groups", () => {
  test("each group lists its own tools, in a stable order", async () => {
    const names = async (groups: string) => (await listing({ MCP_BRIDGE_TOOLS: groups })).map((t) => t.name);
    expect(await names("sandbox,escalation,scripts,jobs")).toEqual([
      "run_python",
      "escalate_to_claude",
      "run_script",
      "get_job",
      "cancel_job",
    ]);
    expect(await names("sandbox")).toEqual(["run_python"]);
    expect(await names("escalation,jobs")).toEqual(["escalate_to_claude", "get_job", "cancel_job"]);
    expect(await names("scripts")).toEqual(["run_script"]);
  });

  test("clients learn the discovery helpers from run_python's description alone (no server instructions needed)", async () => {
    const d = (await listing({ MCP_BRIDGE_TOOLS: "sandbox" }))[0]!.description!;
    for (const helper of ["search_tool_docs(", "mcp_<server>.<tool>(", "save_memory(", "session"])
      expect(d).toContain(helper);
  });

  test("run_python's timeout text states the configured default and maximum", async () => {
    const tool = (
      await listing({ MCP_BRIDGE_TIMEOUT: "45s", MCP_BRIDGE_MAX_TIMEOUT: "10m", MCP_BRIDGE_TOOLS: "sandbox" })
    )[0]!;
    expect((tool.inputSchema.properties as Record<string, { description: string }>).timeout.description).toBe(
      "seconds (default 45, max 600)",
    );
  });
});

test("annotations, with the spec's defaults applied, say what each tool does", async () => {
  const hints = Object.fromEntries((await listing()).map((t) => [t.name, effectiveHints(t.annotations)]));
  expect(hints).toEqual({
    // run_python reaches other MCP servers through the proxies, so it may change things out there.
    run_python: { readOnly: false, destructive: true, idempotent: false, openWorld: true },
    escalate_to_claude: { readOnly: false, destructive: true, idempotent: false, openWorld: true },
    run_script: { readOnly: false, destructive: true, idempotent: false, openWorld: true },
    get_job: { readOnly: true, destructive: false, idempotent: true, openWorld: false },
    cancel_job: { readOnly: false, destructive: true, idempotent: true, openWorld: false },
  });
});
