import { describe, expect, test } from "bun:test";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import {
  measureToolCosts,
  toolSchemaTokens,
  withDeadline,
  type ToolListing,
} from "../../../src/upstream/discovery/tool-costs.ts";
import type { ServerEntry } from "../../../src/upstream/types.ts";

const server = (name: string): ServerEntry => ({
  name,
  source: "/f",
  format: "cursor",
  scope: "user",
  transport: "stdio",
  command: "x",
  status: "ok",
});
const tool = (name: string, description = "Does a thing"): ToolListing => ({
  name,
  description,
  inputSchema: { type: "object", properties: { q: { type: "string" } } },
});

describe("toolSchemaTokens", () => {
  test("counts the JSON of {name, description, inputSchema} per tool", () => {
    const tools = [tool("a"), tool("b", "Another")];
    const expected = tools.reduce(
      (n, t) =>
        n + countTokens(JSON.stringify({ name: t.name, description: t.description, inputSchema: t.inputSchema })),
      0,
    );
    expect(toolSchemaTokens(tools, countTokens)).toBe(expected);
    expect(expected).toBeGreaterThan(20);
    expect(toolSchemaTokens([], countTokens)).toBe(0);
  });
});

describe("measureToolCosts", () => {
  test("sums answered servers, reports failures and timeouts, and subtracts bridge's own cost", async () => {
    const listTools = async (s: ServerEntry, signal: AbortSignal) => {
      if (s.name === "broken") throw new Error("spawn failed");
      if (s.name === "hangs")
        return new Promise<ToolListing[]>((_, reject) =>
          signal.addEventListener("abort", () => reject(new Error("aborted"))),
        );
      return s.name === "two" ? [tool("a"), tool("b")] : [tool("c")];
    };
    const count = (text: string) => text.length;
    const report = await measureToolCosts([server("two"), server("one"), server("broken"), server("hangs")], {
      listTools,
      countTokens: count,
      bridgeTools: [tool("run_python")],
      timeoutMs: 50,
    });
    const two = toolSchemaTokens([tool("a"), tool("b")], count);
    const one = toolSchemaTokens([tool("c")], count);
    expect(report.servers.map((s) => [s.name, s.tools, s.tokens])).toEqual([
      ["two", 2, two],
      ["one", 1, one],
      ["broken", undefined, undefined],
      ["hangs", undefined, undefined],
    ]);
    expect(report.servers[2]!.error).toBe("spawn failed");
    expect(report.servers[3]!.error).toContain("did not answer within");
    expect(report.totalTokens).toBe(two + one);
    expect(report.bridgeTokens).toBe(toolSchemaTokens([tool("run_python")], count));
    expect(report.bridgeByTool).toEqual([{ name: "run_python", tokens: report.bridgeTokens }]);
    expect(report.savedTokens).toBe(report.totalTokens - report.bridgeTokens);
  });

  test("servers are listed in parallel", async () => {
    let running = 0;
    let peak = 0;
    const listTools = async () => {
      running++;
      peak = Math.max(peak, running);
      await Bun.sleep(20);
      running--;
      return [tool("t")];
    };
    await measureToolCosts([server("a"), server("b"), server("c")], {
      listTools,
      countTokens: () => 1,
      bridgeTools: [],
      timeoutMs: 1000,
    });
    expect(peak).toBe(3);
  });

  test("at most `concurrency` servers are listed at once, and the order is kept", async () => {
    let running = 0;
    let peak = 0;
    const listTools = async (s: ServerEntry) => {
      running++;
      peak = Math.max(peak, running);
      await Bun.sleep(s.name === "a" ? 30 : 5);
      running--;
      return [tool(s.name)];
    };
    const names = ["a", "b", "c", "d", "e"];
    const report = await measureToolCosts(names.map(server), {
      listTools,
      countTokens: () => 1,
      bridgeTools: [],
      timeoutMs: 1000,
      concurrency: 2,
    });
    expect(peak).toBe(2);
    expect(report.servers.map((s) => s.name)).toEqual(names);
  });
});

describe("withDeadline", () => {
  test("aborts the signal on success too, so nothing keeps running", async () => {
    let seen: AbortSignal | undefined;
    expect(
      await withDeadline(1000, "x", async (signal) => {
        seen = signal;
        return 1;
      }),
    ).toBe(1);
    expect(seen!.aborted).toBe(true);
  });
});
