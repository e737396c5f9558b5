import { describe, expect, test } from "bun:test";
import { jsonDocument, printable, renderCostSummary, renderNotes, renderProblems, renderTable, target, tildePath } from "../../../src/upstream/discovery/render.ts";
import type { DiscoveryResult, ServerEntry } from "../../../src/upstream/types.ts";

const s = (over: Partial<ServerEntry>): ServerEntry => ({ name: "a", source: "/h/.cursor/mcp.json", format: "cursor", transport: "stdio", command: "npx", args: ["-y", "pkg"], status: "ok", ...over });
const result = (servers: ServerEntry[]): DiscoveryResult => ({ servers, problems: [], searched: [] });

describe("render", () => {
  test("table has the documented columns and one row per server", () => {
    const out = renderTable(result([s({}), s({ name: "b", transport: "http", command: undefined, args: undefined, url: "https://x/mcp", status: "denied", reason: "denied by MCP_BRIDGE_DENY_SERVERS" })]), { home: "/h" });
    const lines = out.split("\n");
    expect(lines[0]).toMatch(/^NAME\s+SOURCE\s+FORMAT\s+TRANSPORT\s+COMMAND OR URL\s+STATUS$/);
    expect(lines[1]).toMatch(/^a\s+~\/\.cursor\/mcp\.json\s+cursor\s+stdio\s+npx -y pkg\s+ok$/);
    expect(lines[2]).toContain("https://x/mcp");
    expect(lines[2]).toContain("denied: denied by MCP_BRIDGE_DENY_SERVERS");
  });

  test("an empty result says so", () => {
    expect(renderTable(result([]), { home: "/h" })).toContain("No MCP servers found");
  });

  test("control characters from config files are escaped, never printed raw", () => {
    expect(printable("a\u001b[2Jb\nc")).toBe("a\\x1b[2Jb\\x0ac");
    const out = renderTable(result([s({ args: ["\u001b]0;pwned\u0007"] })]), { home: "/h" });
    expect(out).not.toContain("\u001b");
    expect(out).not.toContain("\u0007");
  });

  test("arguments with spaces are quoted", () => {
    expect(target(s({ args: ["a b", ""] }))).toBe('npx "a b" ""');
  });

  test("problems print as file:line:column: reason", () => {
    expect(renderProblems([{ file: "/h/x.json", line: 3, column: 7, reason: "bad" }, { file: "/etc/y.json", reason: "gone" }], "/h")).toBe("~/x.json:3:7: bad\n/etc/y.json: gone");
  });

  test("tildePath only shortens paths inside home", () => {
    expect(tildePath("/home/u/x", "/home/u")).toBe("~/x");
    expect(tildePath("/home/u2/x", "/home/u")).toBe("/home/u2/x");
  });

  test("--tools columns and summary", () => {
    const costs = { servers: [{ name: "a", tools: 3, tokens: 420, ms: 5 }], totalTokens: 420, bridgeTokens: 100, bridgeByTool: [{ name: "run_python", tokens: 100 }], savedTokens: 320 };
    const out = renderTable(result([s({})]), { home: "/h", costs });
    expect(out.split("\n")[0]).toContain("TOOLS  TOKENS");
    expect(out.split("\n")[1]).toMatch(/\b3\s+420\b/);
    expect(renderCostSummary(costs)).toContain("3 tools from 1 of 1 usable servers: 420 tokens");
    expect(renderCostSummary(costs)).toContain("Tokens saved through bridge: 320");
    expect(renderCostSummary(costs)).toContain("bridge's own tools/list: 100 tokens (run_python 100)");
  });

  test("--json masks env and header values unless secrets are asked for", () => {
    const r = result([s({ env: { TOKEN: "secret" }, headers: { Authorization: "Bearer secret" } })]);
    const masked = JSON.stringify(jsonDocument(r, undefined, false));
    expect(masked).not.toContain("secret");
    expect(masked).toContain('"TOKEN":"***"');
    expect(JSON.stringify(jsonDocument(r, undefined, true))).toContain("Bearer secret");
  });
});

test("paths under the working directory print as ./x", () => {
  expect(tildePath("/w/p/.mcp.json", "/w", "/w/p")).toBe("./.mcp.json");
  expect(tildePath("/w/.claude.json", "/w", "/w/p")).toBe("~/.claude.json");
});

test("notes print one line per server note, escaped", () => {
  expect(renderNotes([s({ notes: ["environment variable X is not set"] }), s({ name: "b" })])).toBe("a: environment variable X is not set");
  expect(renderNotes([s({})])).toBe("");
});
