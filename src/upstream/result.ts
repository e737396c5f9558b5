/**
 * Turns upstream results into the values Python code receives. A tool result is its
 * structuredContent when present, else the parsed JSON of a lone text block, else its text — except
 * that a result carrying binary content (image, audio, a resource blob) is built from its content
 * blocks, because structuredContent can only hold binary as base64 text. Binary travels as
 * `{"__bytes__": base64, "mimeType": …, "uri"?: …}` and becomes `bytes` (with `.mime_type`) in Python.
 */
import type { CallToolResult, ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import { BridgeError } from "../errors.ts";

type Block = CallToolResult["content"][number];
type ResourceContents = ReadResourceResult["contents"][number];

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

const bytesMarker = (data: string, mimeType: string | undefined, uri?: string) => ({
  [BYTES_KEY]: data,
  mimeType: mimeType ?? null,
  ...(uri ? { uri } : {}),
});

/** One resource's contents: bytes (blob) or `{uri, mimeType, text}`. */
export function resourceValue(r: ResourceContents): unknown {
  if ("blob" in r && typeof r.blob === "string") return bytesMarker(r.blob, r.mimeType, r.uri);
  return { uri: r.uri, mimeType: r.mimeType ?? null, text: "text" in r ? r.text : "" };
}

function blockValue(block: Block, server: string): unknown {
  switch (block.type) {
    case "text":
      return textValue(block.text);
    case "image":
    case "audio":
      return bytesMarker(block.data, block.mimeType);
    case "resource":
      return resourceValue(block.resource as ResourceContents);
    case "resource_link":
      // `server` lets read_resource(link) know where to read it.
      return {
        type: "resource_link",
        server,
        uri: block.uri,
        name: block.name,
        description: block.description ?? null,
        mimeType: block.mimeType ?? null,
      };
    default:
      return block;
  }
}

const isBinary = (b: Block) =>
  b.type === "image" || b.type === "audio" || (b.type === "resource" && "blob" in b.resource);

/** The error text of a failed tool result (all text blocks joined). */
function errorText(result: CallToolResult): string {
  const text = (result.content ?? [])
    .filter((b) => b.type === "text")
    .map((b) => (b as { text: string }).text)
    .join("\n")
    .trim();
  return text || "the tool reported an error without a message";
}

/** Converts a tool result; a result with `isError` becomes a BridgeError naming the server and tool. */
export function toolResultValue(server: string, tool: string, result: CallToolResult): unknown {
  if (result.isError) {
    throw new BridgeError("UPSTREAM_FAILED", `${server}.${tool} failed: ${errorText(result)}`);
  }
  const content = result.content ?? [];
  const structured = result.structuredContent;
  if (structured !== undefined && structured !== null && !content.some(isBinary)) return structured;
  if (content.length === 0) return structured ?? null;
  if (content.length === 1) return blockValue(content[0]!, server);
  return content.map((b) => blockValue(b, server));
}

/** A resources/read result: one value for a single content, else a list. */
export function readResourceValue(result: ReadResourceResult): unknown {
  const values = result.contents.map(resourceValue);
  return values.length === 1 ? values[0] : values;
}
