/** The result every tool returns when it fails: the error as text for people, `isError` set. */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describeError } from "../../errors.ts";

export function errorResult(err: unknown): CallToolResult {
  return { content: [{ type: "text", text: describeError(err) }], isError: true };
}
