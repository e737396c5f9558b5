import { describe, expect, test } from "bun:test";
import {
  jsonDocument,
  printable,
  renderCostSummary,
  renderNotes,
  renderProblems,
  renderTable,
  target,
  tildePath,
} from "../../../src/upstream/discovery/render.ts";
import type { DiscoveryResult, ServerEntry } from "../../../src/upstream/types.ts";

const s = (over: Partial<ServerEntry>): ServerEntry => ({
  name: "a",
  source: "/h/.cursor/mcp.json",
  format: "cursor",
  scope: "user",
  transport: "stdio",
  command: "npx",
  args: ["-y", "pkg"],
  status: "ok",
  ...over,
});
const result = (servers: ServerEntry[]): DiscoveryResult => ({ servers, problems: [], searched: [] });

describe("render", () => {
  test("table has the documented columns and one row per server", () => {
    const out = renderTable(
      result([
        s({}),
        s({
          name: "b",
          transport: "http",
          command: undefined,
          args: undefined,
          url: "https://x/mcp",
          status: "denied",
          reason: "denied by MCP_BRIDGE_DENY_SERVERS",
        }),
      ]),
      { home: "/h" },
    );
    const lines = out.split("\n");
    expect(lines[0]).toMatch(/^NAME\s+SOURCE\s+FORMAT\s+SCOPE\s+TRANSPORT\s+COMMAND OR URL\s+STATUS$/);
    expect(lines[1]).toMatch(/^a\s+~\/\.cursor\/mcp\.json\s+cursor\s+user\s+stdio\s+npx -y pkg\s+ok$/);
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
    expect(
      renderProblems(
        [
          { file: "/h/x.json", line: 3, column: 7, reason: "bad" },
          { file: "/etc/y.json", reason: "gone" },
        ],
        "/h",
      ),
    ).toBe("~/x.json:3:7: bad\n/etc/y.json: gone");
  });

  test("tildePath only shortens paths inside home", () => {
    expect(tildePath("/home/u/x", "/home/u")).toBe("~/x");
    expect(tildePath("/home/u2/x", "/home/u")).toBe("/home/u2/x");
  });

  test("--tools columns and summary", () => {
    const costs = {
      servers: [{ name: "a", tools: 3, tokens: 420, ms: 5 }],
      totalTokens: 420,
      bridgeTokens: 100,
      bridgeByTool: [{ name: "run_python", tokens: 100 }],
      savedTokens: 320,
    };
    const out = renderTable(result([s({})]), { home: "/h", costs });
    expect(out.split("\n")[0]).toContain("TOOLS  TOKENS");
    expect(out.split("\n")[1]).toMatch(/\b3\s+420\b/);
    expect(renderCostSummary(costs)).toContain("3 tools from 1 of 1 usable servers: 420 tokens");
    expect(renderCostSummary(costs)).toContain("Tokens saved through bridge: 320");
    expect(renderCostSummary(costs)).toContain("bridge's own tools/list: 100 tokens (run_python 100)");
    const none = { ...costs, servers: [], totalTokens: 0, savedTokens: -100 };
    expect(renderCostSummary(none)).toContain("Tokens saved through bridge: none yet (bridge adds 100;");
    expect(renderCostSummary(none)).not.toContain("-100");
  });

  test("--json masks env and header values, URL keys and secret arguments unless secrets are asked for", () => {
    const r = result([
      s({
        env: { TOKEN: "secret" },
        headers: { Authorization: "Bearer secret" },
        args: ["--api-key=secret", "--token", "secret", "--verbose"],
      }),
      s({
        name: "b",
        transport: "http",
        command: undefined,
        args: undefined,
        url: "https://user:secret@mcp.example.com/s/4f1c2d3e-0a1b-4c2d-8e9f-0123456789ab/mcp?apiKey=secret",
      }),
    ]);
    const masked = JSON.stringify(jsonDocument(r, undefined, false));
    expect(masked).not.toContain("secret");
    expect(masked).not.toContain("4f1c2d3e");
    expect(masked).toContain('"TOKEN":"***"');
    expect(masked).toContain('"args":["--api-key=***","--token","***","--verbose"]');
    expect(masked).toContain("https://***@mcp.example.com/s/***/mcp?apiKey=***");
    expect(JSON.stringify(jsonDocument(r, undefined, true))).toContain("Bearer secret");
  });

  test("the table masks URL keys too, unless --show-secrets", () => {
    const r = result([
      s({
        transport: "sse",
        command: undefined,
        args: undefined,
        url: "https://actions.zapier.com/mcp/sk-ak-Xy12Zw34Qr56Ab78Cd90/sse",
      }),
    ]);
    expect(renderTable(r, { home: "/h" })).toContain("https://actions.zapier.com/mcp/***/sse");
    expect(renderTable(r, { home: "/h", showSecrets: true })).toContain("sk-ak-Xy12Zw34Qr56Ab78Cd90");
  });
});

test("paths under the working directory print as ./x", () => {
  expect(tildePath("/w/p/.mcp.json", "/w", "/w/p")).toBe("./.mcp.json");
  expect(tildePath("/w/.claude.json", "/w", "/w/p")).toBe("~/.claude.json");
});

test("notes print one line per server note, how to approve it, and each conflicting definition", () => {
  expect(renderNotes([s({ notes: ["environment variable X is not set"] }), s({ name: "b" })], "/h")).toBe(
    "a: environment variable X is not set",
  );
  expect(renderNotes([s({})], "/h")).toBe("");
  const pending = s({ status: "pending-approval", approve: "run `claude` in /p" });
  const shadow = s({
    name: "n",
    conflicts: [
      {
        source: "/p/.mcp.json",
        format: "claude-code",
        scope: "project",
        status: "pending-approval",
        reason: "not approved",
      },
    ],
  });
  expect(renderNotes([pending, shadow], "/h", "/p")).toBe(
    "a: to approve: run `claude` in /p\nn: also defined in ./.mcp.json (claude-code, project), pending approval: not approved; that definition is not used",
  );
});
