import { describe, expect, test } from "bun:test";
import { isBridgeError } from "../../../src/errors.ts";
import { checkToolArgs, describeParams } from "../../../src/upstream/arg-check.ts";
import type { ToolDoc } from "../../../src/upstream/tool-docs.ts";

const readFile: ToolDoc = {
  name: "read_text_file",
  inputSchema: {
    type: "object",
    properties: { path: { type: "string" }, head: { type: "number" }, mode: { type: "string", enum: ["a", "b"] } },
    required: ["path"],
  },
};

function errorOf(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    expect(isBridgeError(err, "USAGE")).toBe(true);
    return (err as Error).message;
  }
  throw new Error("expected an error");
}

describe("checkToolArgs", () => {
  test("accepts valid arguments", () => {
    checkToolArgs("fs", readFile, { path: "/x" });
    checkToolArgs("fs", readFile, { path: "/x", head: 3, mode: "a" });
  });
  test("missing required parameter names the expected parameters", () => {
    const msg = errorOf(() => checkToolArgs("fs", readFile, {}));
    expect(msg).toContain("missing required parameter path");
    expect(msg).toContain("Expected parameters: path (string, required), head (number), mode (string)");
  });
  test("unknown parameter is rejected", () => {
    expect(errorOf(() => checkToolArgs("fs", readFile, { path: "/x", paht: 1 }))).toContain("unknown parameter paht");
  });
  test("type and enum mismatches", () => {
    expect(errorOf(() => checkToolArgs("fs", readFile, { path: 3 }))).toContain("path must be string, got integer");
    expect(errorOf(() => checkToolArgs("fs", readFile, { path: "/x", mode: "c" }))).toContain(
      'mode must be one of "a", "b"',
    );
    checkToolArgs("fs", readFile, { path: "/x", head: 2.5 });
  });
  test("non-object arguments", () => {
    expect(errorOf(() => checkToolArgs("fs", readFile, [1, 2]))).toContain("keyword arguments");
    expect(errorOf(() => checkToolArgs("fs", readFile, null))).toContain("keyword arguments");
  });
  test("additionalProperties allows extra keys", () => {
    const open: ToolDoc = { name: "t", inputSchema: { type: "object", properties: {}, additionalProperties: true } };
    checkToolArgs("s", open, { anything: 1 });
  });
  test("__proto__ and constructor are not mistaken for parameters", () => {
    const args = JSON.parse('{"path":"/x","__proto__":{"polluted":1}}');
    expect(errorOf(() => checkToolArgs("fs", readFile, args))).toContain("unknown parameter __proto__");
    expect(errorOf(() => checkToolArgs("fs", readFile, { path: "/x", constructor: 1 }))).toContain(
      "unknown parameter constructor",
    );
  });
  test("describeParams without parameters", () => {
    expect(describeParams({ name: "t", inputSchema: { type: "object" } })).toBe("no parameters");
  });
});
