import { describe, expect, test } from "bun:test";
import { pythonIdentifier, serverAliases, toolAttributeNames } from "../../../src/upstream/aliases.ts";

describe("pythonIdentifier", () => {
  test("makes valid identifiers", () => {
    expect(pythonIdentifier("my-server", { lower: true })).toBe("my_server");
    expect(pythonIdentifier("GitHub.Enterprise", { lower: true })).toBe("github_enterprise");
    expect(pythonIdentifier("2fa", { lower: true })).toBe("_2fa");
    expect(pythonIdentifier("class")).toBe("class_");
    expect(pythonIdentifier("---", { fallback: "server" })).toBe("server");
    expect(pythonIdentifier("café")).toBe("cafe");
    expect(pythonIdentifier("日本")).toBe("x");
  });
  test("every output is an identifier", () => {
    for (const s of ["a b", "__init__", "x;import os", "../etc", "a\nb", "None", "ü-ö"]) {
      expect(pythonIdentifier(s)).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
    }
  });
});

describe("serverAliases", () => {
  test("collisions get _2, _3 by sorted name, independent of input order", () => {
    const a = serverAliases(["my_server", "my-server", "My.Server"]);
    const b = serverAliases(["My.Server", "my-server", "my_server"]);
    expect([...a.entries()].sort()).toEqual([...b.entries()].sort());
    expect(a.get("my_server")).toBe("my_server");
    expect(a.get("My.Server")).toBe("my_server_2");
    expect(a.get("my-server")).toBe("my_server_3");
  });
  test("a literal name is not stolen by a suffixed alias", () => {
    const a = serverAliases(["a-b", "a_b", "a_b_2"]);
    expect(a.get("a_b")).toBe("a_b");
    expect(a.get("a_b_2")).toBe("a_b_2");
    expect(a.get("a-b")).toBe("a_b_3");
    expect(new Set(a.values()).size).toBe(3);
  });
  test("aliases are unique across many names", () => {
    const names = Array.from({ length: 100 }, (_, i) => (i % 2 ? `srv-${i % 10}` : `srv_${i % 10}`)).concat(["x", "X"]);
    const a = serverAliases(names);
    expect(new Set(a.values()).size).toBe(new Set(names).size);
  });
});

describe("toolAttributeNames", () => {
  test("keeps case, fixes dashes", () => {
    const t = toolAttributeNames(["get-sum", "readFile", "get_sum"]);
    expect(t.get("get_sum")).toBe("get_sum");
    expect(t.get("get-sum")).toBe("get_sum_2");
    expect(t.get("readFile")).toBe("readFile");
  });
});
