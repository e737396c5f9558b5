import { describe, expect, test } from "bun:test";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { isClientTimeout, waitMsFor } from "../../../src/mcp/job-wait.ts";

test("isClientTimeout recognises the SDK client's own timeout, nothing else", () => {
  // What the SDK client sends as the notifications/cancelled reason when its timeout fires.
  expect(
    isClientTimeout(String(McpError.fromError(ErrorCode.RequestTimeout, "Request timed out", { timeout: 60_000 }))),
  ).toBe(true);
  expect(isClientTimeout("user pressed stop")).toBe(false);
  expect(isClientTimeout(undefined)).toBe(false);
  expect(isClientTimeout(new DOMException("This operation was aborted", "AbortError"))).toBe(false);
});

describe("waitMsFor", () => {
  test("defaults stay under 60 s without a progressToken; caller values are clamped", () => {
    expect(waitMsFor(undefined, false)).toBe(25_000);
    expect(waitMsFor(undefined, true)).toBe(600_000);
    expect(waitMsFor(0, true)).toBe(0);
    expect(waitMsFor(99_999, false)).toBe(3_600_000);
    expect(waitMsFor(-5, false)).toBe(0);
  });
});
