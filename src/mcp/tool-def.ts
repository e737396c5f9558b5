/**
 * How bridge declares a tool. One zod input shape validates calls and generates the listed JSON
 * Schema, which is then written for size: no `$schema`, no ±2^53 integer bounds zod adds, no
 * `additionalProperties` on outputs. Annotations list only the hints that differ from the MCP
 * spec's defaults (the same facts, fewer tokens). Calls may send the unambiguous string forms of
 * typed fields (`"10"`, `"true"`, `"[\"a\"]"`): some clients do, and could otherwise never set them.
 */
import type { ToolCallback } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Tool, ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { BridgeError } from "../errors.ts";

export type { ToolGroup } from "../config/index.ts";

/** Every hint, stated; `annotationsFor` lists those that differ from the spec's defaults. */
export interface Hints {
  readOnly: boolean;
  destructive: boolean;
  idempotent: boolean;
  openWorld: boolean;
}

/** A tool as bridge declares it. */
export interface ToolSpec<I extends z.ZodRawShape> {
  name: string;
  description: string;
  input: I;
  /** Declared outputSchema; structuredContent is then validated against it by the SDK. */
  output?: z.ZodRawShape;
  hints: Hints;
}

/** Registers a tool on the server being built (see ToolContext.register). */
export type RegisterTool = <I extends z.ZodRawShape>(spec: ToolSpec<I>, handler: ToolCallback<I>) => void;

/** MCP ToolAnnotations defaults (spec 2025-06-18): a tool is assumed to write, destroy, not be idempotent, reach out. */
const SPEC_DEFAULTS = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: true,
} as const;

/**
 * The annotations to list: each hint that differs from the spec default. destructive and
 * idempotent are left out for read-only tools, where the spec says they are not meaningful.
 */
export function annotationsFor(h: Hints): ToolAnnotations {
  const all = {
    readOnlyHint: h.readOnly,
    destructiveHint: h.destructive,
    idempotentHint: h.idempotent,
    openWorldHint: h.openWorld,
  };
  const out: ToolAnnotations = {};
  for (const key of Object.keys(all) as Array<keyof typeof all>) {
    if (h.readOnly && (key === "destructiveHint" || key === "idempotentHint")) continue;
    if (all[key] !== SPEC_DEFAULTS[key]) out[key] = all[key];
  }
  return out;
}

/**
 * What listed annotations mean: missing hints take the spec defaults, and a read-only tool modifies
 * nothing, so it destroys nothing and repeating it changes nothing.
 */
export function effectiveHints(a: ToolAnnotations | undefined): Hints {
  const v = { ...SPEC_DEFAULTS, ...a };
  if (v.readOnlyHint) return { readOnly: true, destructive: false, idempotent: true, openWorld: v.openWorldHint };
  return { readOnly: false, destructive: v.destructiveHint, idempotent: v.idempotentHint, openWorld: v.openWorldHint };
}

const JSON_NUMBER = /^\s*-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?\s*$/;

/** A number, or a string that is exactly one JSON number. Anything else is passed on to fail validation. */
function numberForm(v: unknown): unknown {
  return typeof v === "string" && JSON_NUMBER.test(v) ? Number(v) : v;
}
function booleanForm(v: unknown): unknown {
  return v === "true" ? true : v === "false" ? false : v;
}
/** An array, or a string holding one JSON array. */
function arrayForm(v: unknown): unknown {
  if (typeof v !== "string" || !v.trim().startsWith("[")) return v;
  try {
    const parsed: unknown = JSON.parse(v);
    return Array.isArray(parsed) ? parsed : v;
  } catch {
    return v;
  }
}

/** The field's schema, accepting string forms when its type is number, boolean or array. */
function lenient(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodOptional) return lenient(schema.unwrap() as z.ZodType).optional();
  if (schema instanceof z.ZodNumber) return z.preprocess(numberForm, schema);
  if (schema instanceof z.ZodBoolean) return z.preprocess(booleanForm, schema);
  if (schema instanceof z.ZodArray) return z.preprocess(arrayForm, schema);
  return schema;
}

/** The input shape the SDK validates calls with: same output types, string forms accepted. */
export function lenientShape<I extends z.ZodRawShape>(shape: I): I {
  return Object.fromEntries(Object.entries(shape).map(([k, s]) => [k, lenient(s as z.ZodType)])) as unknown as I;
}

const SAFE_BOUND = Number.MAX_SAFE_INTEGER;

/** Removes what costs tokens and tells a client nothing: `$schema`, ±2^53 bounds, `additionalProperties`. */
function compact(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(compact);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "$schema" || k === "additionalProperties") continue;
    if ((k === "minimum" || k === "maximum") && Math.abs(v as number) === SAFE_BOUND) continue;
    out[k] = compact(v);
  }
  return out;
}

/** The JSON Schema listed for a zod object shape. */
export function listedSchema(shape: z.ZodRawShape, io: "input" | "output"): Tool["inputSchema"] {
  return compact(z.toJSONSchema(z.object(shape), { io, target: "draft-7" })) as Tool["inputSchema"];
}

/** The tool as tools/list shows it. */
export function listedTool(spec: ToolSpec<z.ZodRawShape>): Tool {
  const annotations = annotationsFor(spec.hints);
  return {
    name: spec.name,
    description: spec.description,
    inputSchema: listedSchema(spec.input, "input"),
    ...(spec.output ? { outputSchema: listedSchema(spec.output, "output") } : {}),
    ...(Object.keys(annotations).length ? { annotations } : {}),
  };
}

/** The fields checked against the queue's body schema, so a bad value fails here, clearly, not in the worker. */
export function checkedBody<T>(schema: z.ZodType<T>, fields: Record<string, unknown>, tool: string): T {
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  const parsed = schema.safeParse(defined);
  if (parsed.success) return parsed.data;
  const why = parsed.error.issues.map((i) => `${i.path.join(".") || "arguments"}: ${i.message}`).join("; ");
  throw new BridgeError("USAGE", `Invalid arguments for ${tool}: ${why}`);
}
