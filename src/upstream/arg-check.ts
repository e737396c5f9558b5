/**
 * Checks a tool call's arguments against the tool's input schema before the call leaves bridge, so a
 * typo gets an error that names the expected parameters instead of an opaque upstream failure. Only
 * top-level names, required keys, JSON types and enums are checked; the server validates the rest.
 */
import { BridgeError } from "../errors.ts";
import { paramNames, requiredParams, type ToolDoc } from "./tool-docs.ts";

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  additionalProperties?: unknown;
  properties?: Record<string, JsonSchema>;
};

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(expected: string, actual: string): boolean {
  return expected === actual || (expected === "number" && actual === "integer");
}

/** Describes the parameters, e.g. `path (string, required), head (number)`. */
export function describeParams(tool: ToolDoc): string {
  const props = ((tool.inputSchema as JsonSchema).properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set(requiredParams(tool.inputSchema));
  const names = paramNames(tool.inputSchema);
  if (!names.length) return "no parameters";
  return names
    .map((n) => {
      const t = props[n]?.type;
      const bits = [Array.isArray(t) ? t.join("|") : t, required.has(n) ? "required" : undefined].filter(Boolean);
      return bits.length ? `${n} (${bits.join(", ")})` : n;
    })
    .join(", ");
}

/** Throws BridgeError(USAGE) listing every problem with `args`; returns normally when they fit. */
export function checkToolArgs(server: string, tool: ToolDoc, args: unknown): void {
  const fail = (problems: string[]): never => {
    throw new BridgeError(
      "USAGE",
      `${server}.${tool.name}: ${problems.join("; ")}. Expected parameters: ${describeParams(tool)}.`,
      {
        hint: `query_tool_docs("${server}", "${tool.name}", detail="full") shows the full schema.`,
      },
    );
  };
  if (args === null || typeof args !== "object" || Array.isArray(args))
    fail([`arguments must be keyword arguments (an object), got ${jsonType(args)}`]);
  const given = args as Record<string, unknown>;
  const schema = tool.inputSchema as JsonSchema;
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const problems: string[] = [];
  const missing = requiredParams(tool.inputSchema).filter((r) => !(r in given) || given[r] === undefined);
  if (missing.length) problems.push(`missing required parameter${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`);
  const openEnded = schema.additionalProperties !== undefined && schema.additionalProperties !== false;
  if (!openEnded) {
    const unknown = Object.keys(given).filter((k) => !Object.hasOwn(props, k));
    if (unknown.length) problems.push(`unknown parameter${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`);
  }
  for (const [key, value] of Object.entries(given)) {
    const prop = Object.hasOwn(props, key) ? props[key] : undefined;
    if (!prop || value === undefined) continue;
    const actual = jsonType(value);
    const types = prop.type === undefined ? [] : Array.isArray(prop.type) ? prop.type : [prop.type];
    if (types.length && !types.some((t) => typeMatches(t, actual)))
      problems.push(`${key} must be ${types.join(" or ")}, got ${actual}`);
    else if (Array.isArray(prop.enum) && !prop.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
      problems.push(`${key} must be one of ${prop.enum.map((e) => JSON.stringify(e)).join(", ")}`);
    }
  }
  if (problems.length) fail(problems);
}
