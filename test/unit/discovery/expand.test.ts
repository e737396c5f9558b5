import { describe, expect, test } from "bun:test";
import { expandPath, expandRecord, expandString, type ExpandContext } from "../../../src/upstream/discovery/expand.ts";

const ctx = (env: Record<string, string | undefined> = {}, caseInsensitiveEnv = false): ExpandContext =>
  ({ env, home: "/home/u", cwd: "/work/p", caseInsensitiveEnv, notes: [] });

describe("expandString", () => {
  test("${VAR} and ${env:VAR} read the environment", () => {
    expect(expandString("a-${TOKEN}-${env:TOKEN}", ctx({ TOKEN: "t" }))).toBe("a-t-t");
  });

  test("an unset variable becomes empty, with one note", () => {
    const c = ctx();
    expect(expandString("${MISSING}/${MISSING}", c)).toBe("/");
    expect(c.notes).toEqual(["environment variable MISSING is not set; ${MISSING} was left empty"]);
  });

  test("${VAR:-default} uses the default when unset or empty", () => {
    expect(expandString("${A:-x}", ctx())).toBe("x");
    expect(expandString("${A:-x}", ctx({ A: "" }))).toBe("x");
    expect(expandString("${A:-x}", ctx({ A: "y" }))).toBe("y");
  });

  test("expanded values are not expanded again", () => {
    expect(expandString("${A}", ctx({ A: "${B}", B: "secret" }))).toBe("${B}");
  });

  test("VS Code variables: workspaceFolder, userHome; ${input:…} is left empty with a note", () => {
    const c = ctx();
    expect(expandString("${workspaceFolder}|${userHome}|${input:key}", c)).toBe("/work/p|/home/u|");
    expect(c.notes[0]).toContain("${input:key}");
  });

  test("Windows environment names are case-insensitive", () => {
    expect(expandString("${appdata}", ctx({ APPDATA: "C:\\A" }, true))).toBe("C:\\A");
    expect(expandString("${appdata}", ctx({ APPDATA: "C:\\A" }, false))).toBe("");
  });

  test("text without variables is unchanged, including lone $ and braces", () => {
    expect(expandString("$HOME {x} $", ctx({ HOME: "/h" }))).toBe("$HOME {x} $");
  });
});

describe("expandPath and expandRecord", () => {
  test("a leading ~ is the home directory", () => {
    expect(expandPath("~/bin/tool", ctx())).toBe("/home/u/bin/tool");
    expect(expandPath("~", ctx())).toBe("/home/u");
    expect(expandPath("a~/b", ctx())).toBe("a~/b");
  });

  test("expandRecord expands values, keeps keys, and keeps __proto__ as an own key", () => {
    const out = expandRecord(JSON.parse('{"__proto__": "${A}", "K": "${A}"}'), ctx({ A: "v" }))!;
    expect(Object.keys(out)).toEqual(["__proto__", "K"]);
    expect(out.K).toBe("v");
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
});
