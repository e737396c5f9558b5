import { describe, expect, test } from "bun:test";
import { isBridgeError } from "../../../src/errors.ts";
import { toolResultValue } from "../../../src/upstream/result.ts";

describe("toolResultValue", () => {
  test("structuredContent wins", () => {
    expect(toolResultValue("s", "t", { content: [{ type: "text", text: "x" }], structuredContent: { a: 1 } })).toEqual({ a: 1 });
  });
  test("JSON text is parsed, plain text kept", () => {
    expect(toolResultValue("s", "t", { content: [{ type: "text", text: '{"a":[1,2]}' }] })).toEqual({ a: [1, 2] });
    expect(toolResultValue("s", "t", { content: [{ type: "text", text: "42" }] })).toBe(42);
    expect(toolResultValue("s", "t", { content: [{ type: "text", text: "Echo: hi" }] })).toBe("Echo: hi");
    expect(toolResultValue("s", "t", { content: [{ type: "text", text: "{not json" }] })).toBe("{not json");
    expect(toolResultValue("s", "t", { content: [{ type: "text", text: "3 files" }] })).toBe("3 files");
  });
  test("images become byte markers; several blocks a list", () => {
    const v = toolResultValue("s", "t", { content: [{ type: "text", text: "pic" }, { type: "image", data: "AAEC", mimeType: "image/png" }] });
    expect(v).toEqual(["pic", { __bytes__: "AAEC", mimeType: "image/png" }]);
  });
  test("empty content is null", () => {
    expect(toolResultValue("s", "t", { content: [] })).toBeNull();
  });
  test("isError becomes an UPSTREAM_FAILED error naming server and tool", () => {
    try {
      toolResultValue("fs", "read", { isError: true, content: [{ type: "text", text: "ENOENT: no such file" }] });
      throw new Error("expected an error");
    } catch (err) {
      expect(isBridgeError(err, "UPSTREAM_FAILED")).toBe(true);
      expect((err as Error).message).toBe("fs.read failed: ENOENT: no such file");
    }
  });
});
