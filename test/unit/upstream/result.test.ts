import { describe, expect, test } from "bun:test";
import { isBridgeError } from "../../../src/errors.ts";
import { toolResultValue } from "../../../src/upstream/result.ts";

describe("toolResultValue", () => {
  test("structuredContent wins", () => {
    expect(toolResultValue("s", "t", { content: [{ type: "text", text: "x" }], structuredContent: { a: 1 } })).toEqual({
      a: 1,
    });
  });
  test("JSON text is parsed, plain text kept", () => {
    expect(toolResultValue("s", "t", { content: [{ type: "text", text: '{"a":[1,2]}' }] })).toEqual({ a: [1, 2] });
    expect(toolResultValue("s", "t", { content: [{ type: "text", text: "42" }] })).toBe(42);
    expect(toolResultValue("s", "t", { content: [{ type: "text", text: "Echo: hi" }] })).toBe("Echo: hi");
    expect(toolResultValue("s", "t", { content: [{ type: "text", text: "{not json" }] })).toBe("{not json");
    expect(toolResultValue("s", "t", { content: [{ type: "text", text: "3 files" }] })).toBe("3 files");
  });
  test("images become byte markers; several blocks a list", () => {
    const v = toolResultValue("s", "t", {
      content: [
        { type: "text", text: "pic" },
        { type: "image", data: "AAEC", mimeType: "image/png" },
      ],
    });
    expect(v).toEqual(["pic", { __bytes__: "AAEC", mimeType: "image/png" }]);
  });
  test("binary content wins over structuredContent (read_media_file sends the image in both)", () => {
    const image = { type: "image" as const, data: "AAEC", mimeType: "image/jpeg" };
    expect(
      toolResultValue("fs", "read_media_file", { content: [image], structuredContent: { content: [image] } }),
    ).toEqual({ __bytes__: "AAEC", mimeType: "image/jpeg" });
    const blob = {
      type: "resource" as const,
      resource: { uri: "file:///x.bin", mimeType: "application/octet-stream", blob: "AAEC" },
    };
    expect(
      toolResultValue("fs", "read_media_file", { content: [blob], structuredContent: { content: [blob] } }),
    ).toEqual({ __bytes__: "AAEC", mimeType: "application/octet-stream", uri: "file:///x.bin" });
  });
  test("resource links name their server, so read_resource(link) knows where to read", () => {
    expect(
      toolResultValue("ev", "links", { content: [{ type: "resource_link", uri: "demo://1", name: "one" }] }),
    ).toEqual({ type: "resource_link", server: "ev", uri: "demo://1", name: "one", description: null, mimeType: null });
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
