import { describe, expect, test } from "bun:test";
import { detectShape, extractServers } from "../../../src/upstream/discovery/shapes.ts";

const opts = { settingsFile: false, cwd: "/work/p", windows: false };
const names = (r: ReturnType<typeof extractServers>) => r.servers.map((s) => s.name);

describe("extractServers", () => {
  test("mcpServers (Claude, Cursor, Windsurf, Gemini)", () => {
    const r = extractServers({ mcpServers: { a: { command: "x" }, b: {} } }, "mcpServers", opts);
    expect(names(r)).toEqual(["a", "b"]);
    expect(r.servers[0]!.path).toEqual(["mcpServers", "a"]);
    expect(r.problems).toEqual([]);
  });

  test("VS Code mcp.json `servers` and settings.json `mcp.servers` (nested or dotted key)", () => {
    expect(names(extractServers({ servers: { a: {} } }, "vscode-mcp", opts))).toEqual(["a"]);
    expect(names(extractServers({ mcp: { servers: { b: {} } } }, "vscode-settings", opts))).toEqual(["b"]);
    expect(names(extractServers({ "mcp.servers": { c: {} } }, "vscode-settings", opts))).toEqual(["c"]);
  });

  test("opencode `mcp`, Codex `mcp_servers`, Zed `context_servers`", () => {
    expect(names(extractServers({ mcp: { a: {} } }, "opencode", opts))).toEqual(["a"]);
    expect(names(extractServers({ mcp_servers: { b: {} } }, "codex", opts))).toEqual(["b"]);
    expect(names(extractServers({ context_servers: { c: {} } }, "zed", opts))).toEqual(["c"]);
  });

  test("~/.claude.json: this project's servers first, then the user's; other projects ignored", () => {
    const doc = {
      mcpServers: { user: {} },
      projects: { "/work/p": { mcpServers: { local: {} } }, "/elsewhere": { mcpServers: { other: {} } } },
    };
    const r = extractServers(doc, "claude-json", { ...opts, settingsFile: true });
    expect(names(r)).toEqual(["local", "user"]);
    expect(r.servers[0]!.path).toEqual(["projects", "/work/p", "mcpServers", "local"]);
  });

  test("~/.claude.json: a subdirectory uses the nearest project above it", () => {
    const doc = { projects: { "/work": { mcpServers: { parent: {} } }, "/work/p/": { mcpServers: { nearest: {} } } } };
    expect(names(extractServers(doc, "claude-json", { ...opts, cwd: "/work/p/src/deep" }))).toEqual(["nearest"]);
  });

  test("~/.claude.json on Windows matches project keys case- and slash-insensitively", () => {
    const doc = { projects: { "C:/Users/Me/Proj": { mcpServers: { win: {} } } } };
    expect(names(extractServers(doc, "claude-json", { settingsFile: true, cwd: "c:\\users\\me\\proj", windows: true }))).toEqual(["win"]);
  });

  test("a settings file without an MCP section is fine; a dedicated MCP file without one is a problem", () => {
    expect(extractServers({ theme: "x" }, "mcpServers", { ...opts, settingsFile: true })).toEqual({ servers: [], problems: [] });
    const r = extractServers({ theme: "x" }, "mcpServers", opts);
    expect(r.problems[0]!.reason).toContain('no "mcpServers" object');
  });

  test("wrong shapes are problems with a path, not exceptions", () => {
    expect(extractServers([1, 2], "mcpServers", opts).problems[0]!.reason).toContain("an array");
    expect(extractServers(null, "mcpServers", opts).problems[0]!.reason).toContain("null");
    const r = extractServers({ mcpServers: ["a"] }, "mcpServers", opts);
    expect(r.servers).toEqual([]);
    expect(r.problems[0]).toMatchObject({ path: ["mcpServers"] });
  });

  test("auto detects the shape of a generic server file", () => {
    expect(detectShape({ mcpServers: {} })).toBe("mcpServers");
    expect(detectShape({ servers: {} })).toBe("vscode-mcp");
    expect(detectShape({ mcp: { servers: {} } })).toBe("vscode-settings");
    expect(detectShape({ mcp: { a: {} } })).toBe("opencode");
    expect(detectShape({ mcp_servers: {} })).toBe("codex");
    expect(detectShape({ context_servers: {} })).toBe("zed");
    expect(detectShape({ x: 1 })).toBeUndefined();
    expect(extractServers({ x: 1 }, "auto", opts).problems[0]!.reason).toContain("no server map found");
  });
});
