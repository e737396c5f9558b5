/** The documentation bridge keeps for one upstream tool, and small helpers to present it. */
import type { Tool } from "@modelcontextprotocol/sdk/types.js";

/** One tool of one server, as listed by the server (kept on disk between processes). */
export interface ToolDoc {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Tool["inputSchema"];
  outputSchema?: Tool["outputSchema"];
  annotations?: Tool["annotations"];
  /** `taskSupport: "required"` tools are called through the task API (src/upstream/task-call.ts). */
  execution?: Tool["execution"];
}

/** Converts the SDK's tool listing to the stored shape (drops fields bridge does not use). */
export function toToolDoc(tool: Tool): ToolDoc {
  const doc: ToolDoc = { name: tool.name, inputSchema: tool.inputSchema };
  if (tool.title) doc.title = tool.title;
  if (tool.description) doc.description = tool.description;
  if (tool.outputSchema) doc.outputSchema = tool.outputSchema;
  if (tool.annotations) doc.annotations = tool.annotations;
  if (tool.execution) doc.execution = tool.execution;
  return doc;
}

/** First sentence or line of a description, at most `max` characters. */
export function oneLine(description: string | undefined, max = 160): string {
  const text = (description ?? "").trim();
  if (!text) return "";
  const firstLine = text.split(/\r?\n/, 1)[0]!.trim();
  const sentence = /^(.+?[.!?])(\s|$)/.exec(firstLine)?.[1] ?? firstLine;
  return sentence.length <= max ? sentence : `${sentence.slice(0, max - 1).trimEnd()}…`;
}

/** Top-level parameter names of an input schema. */
export function paramNames(schema: ToolDoc["inputSchema"] | undefined): string[] {
  const props = schema && typeof schema === "object" ? (schema as { properties?: unknown }).properties : undefined;
  return props && typeof props === "object" ? Object.keys(props) : [];
}

/** Required top-level parameter names of an input schema. */
export function requiredParams(schema: ToolDoc["inputSchema"] | undefined): string[] {
  const req = schema && typeof schema === "object" ? (schema as { required?: unknown }).required : undefined;
  return Array.isArray(req) ? req.filter((r): r is string => typeof r === "string") : [];
}
