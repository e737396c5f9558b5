import { describe, expect, test } from "bun:test";
import { lineColumnAt, locateJsonPath, parseConfigText } from "../../../src/upstream/discovery/parse-file.ts";

describe("parseConfigText", () => {
  test("JSON with comments and trailing commas parses", () => {
    const r = parseConfigText("f.json", '{\n  // note\n  "a": [1, 2,],\n  /* block */ "b": {"c": 1,},\n}', "json");
    expect(r).toEqual({ ok: true, value: { a: [1, 2], b: { c: 1 } } });
  });

  test("a JSON syntax error reports the line and column in the file", () => {
    const r = parseConfigText("f.json", '{\n  "a": 1\n  "b": 2\n}', "json");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem).toMatchObject({ file: "f.json", line: 3, column: 3 });
    expect(r.problem.reason).toContain("comma expected");
  });

  test("an unterminated document reports a position, not a crash", () => {
    const r = parseConfigText("f.json", '{"mcpServers": {"x": {', "json");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem.line).toBe(1);
  });

  test("an empty file is a problem", () => {
    const r = parseConfigText("f.json", "  \n", "json");
    expect(r.ok).toBe(false);
  });

  test("__proto__ stays an own key and does not change the prototype", () => {
    const r = parseConfigText("f.json", '{"__proto__": {"polluted": true}, "a": 1}', "json");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const v = r.value as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(["__proto__", "a"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((v as { polluted?: boolean }).polluted).toBeUndefined();
  });

  test("TOML parses, and a TOML error reports its line", () => {
    const ok = parseConfigText("c.toml", '[mcp_servers.a]\ncommand = "x"\nargs = ["1"]\n', "toml");
    expect(ok).toEqual({ ok: true, value: { mcp_servers: { a: { command: "x", args: ["1"] } } } });
    const bad = parseConfigText("c.toml", 'model = "x"\n\n[mcp_servers.a\ncommand = "x"\n', "toml");
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.problem.line).toBe(3);
      expect(bad.problem.reason).toStartWith("not valid TOML");
    }
  });
});

describe("positions", () => {
  test("lineColumnAt counts lines and columns from 1", () => {
    expect(lineColumnAt("ab\ncd", 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumnAt("ab\ncd", 4)).toEqual({ line: 2, column: 2 });
  });

  test("locateJsonPath points at a member's key", () => {
    const text = '{\n  "mcpServers": {\n    "x": { "command": 5 }\n  }\n}';
    expect(locateJsonPath(text, "json", ["mcpServers", "x", "command"])).toEqual({ line: 3, column: 12 });
    expect(locateJsonPath(text, "json", ["nope"])).toBeUndefined();
    expect(locateJsonPath(text, "toml", ["mcpServers"])).toBeUndefined();
  });
});

describe("hostile input", () => {
  test("absurdly deep nesting is a problem, not a stack overflow", () => {
    const deep = `{"mcpServers": ${"[".repeat(200_000)}${"]".repeat(200_000)}}`;
    const r = parseConfigText("f.json", deep, "json");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem.reason).toContain("nested too deeply");
    expect(locateJsonPath(deep, "json", ["mcpServers"])).toBeUndefined();
    expect(parseConfigText("c.toml", `a = ${"[".repeat(200_000)}`, "toml").ok).toBe(false);
  });
});
