import { expect, test } from "bun:test";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { isClientTimeout } from "../../../src/queue/tool-support.ts";

test("isClientTimeout recognises the SDK client's own timeout, nothing else", () => {
  // What the SDK client sends as the notifications/cancelled reason when its timeout fires.
  expect(isClientTimeout(String(McpError.fromError(ErrorCode.RequestTimeout, "Request timed out", { timeout: 60_000 })))).toBe(true);
  expect(isClientTimeout("user pressed stop")).toBe(false);
  expect(isClientTimeout(undefined)).toBe(false);
  expect(isClientTimeout(new DOMException("This operation was aborted", "AbortError"))).toBe(false);
});
