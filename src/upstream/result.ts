/**
 * Turns an upstream CallToolResult into the value Python code receives: structuredContent when
 * present, else the parsed JSON of a lone text block, else its text; binary content (images, audio,
 * blobs) travels as `{"__bytes__": base64, "mimeType": …}` and becomes `bytes` in Python.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { BridgeError } from "../errors.ts";

type Block = CallToolResult["content"][number];

/** Marker key the Python side turns into `bytes`. */
export const BYTES_KEY = "__bytes__";

function textValue(text: string): unknown {
  const trimmed = text.trim();
  if (/^[[{"]/.test(trimmed) || /^-?\d/.test(trimmed) || ["true", "false", "null"].includes(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return text;
    }
  }
  return text;
}

function blockValue(block: Block): unknown {
  switch (block.type) {
    case "text":
      return textValue(block.text);
    case "image":
    case "audio":
      return { [BYTES_KEY]: block.data, mimeType: block.mimeType };
    case "resource": {
      const r = block.resource as { uri: string; mimeType?: string; text?: string; blob?: string };
      if (r.blob !== undefined) return { uri: r.uri, mimeType: r.mimeType, data: { [BYTES_KEY]: r.blob, mimeType: r.mimeType } };
      return { uri: r.uri, mimeType: r.mimeType, text: r.text };
    }
    case "resource_link":
      return { uri: block.uri, name: block.name, description: block.description, mimeType: block.mimeType };
    default:
      return block;
  }
}

/** The error text of a failed tool result (all text blocks joined). */
function errorText(result: CallToolResult): string {
  const text = (result.content ?? []).filter((b) => b.type === "text").map((b) => (b as { text: string }).text).join("\n").trim();
  return text || "the tool reported an error without a message";
}

/** Converts a tool result; a result with `isError` becomes a BridgeError naming the server and tool. */
export function toolResultValue(server: string, tool: string, result: CallToolResult): unknown {
  if (result.isError) {
    throw new BridgeError("UPSTREAM_FAILED", `${server}.${tool} failed: ${errorText(result)}`);
  }
  if (result.structuredContent !== undefined && result.structuredContent !== null) return result.structuredContent;
  const content = result.content ?? [];
  if (content.length === 0) return null;
  if (content.length === 1) return blockValue(content[0]!);
  return content.map(blockValue);
}
