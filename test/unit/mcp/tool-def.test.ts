/** How tools are declared: string forms real clients send, listed schemas, annotation defaults. */
import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { annotationsFor, effectiveHints, lenientShape, listedTool } from "../../../src/mcp/tool-def.ts";

describe("string forms of typed fields", () => {
  const shape = lenientShape({
    n: z.number().positive().optional(),
    i: z.number().int().optional(),
    b: z.boolean().optional(),
    a: z.array(z.string()).optional(),
    s: z.string().optional(),
  });
  const parse = (v: Record<string, unknown>) => z.object(shape).safeParse(v);
  test("unambiguous strings become their type", () => {
    expect(parse({ n: "10", i: "3", b: "true", a: '["a","b"]', s: "10" }).data).toEqual({
      n: 10,
      i: 3,
      b: true,
      a: ["a", "b"],
      s: "10",
    });
    expect(parse({ n: " 2.5 ", b: "false", a: "[]" }).data).toEqual({ n: 2.5, b: false, a: [] });
    expect(parse({ n: 10, a: ["x"] }).data).toEqual({ n: 10, a: ["x"] });
  });
  test("anything else is rejected as before, naming the field", () => {
    for (const bad of [
      { n: "ten" },
      { n: "" },
      { n: "0x10" },
      { n: "-1" },
      { i: "2.5" },
      { b: "yes" },
      { a: "a,b" },
      { a: '{"a":1}' },
      { a: "[1,2]" },
      { a: "[" },
    ]) {
      const r = parse(bad);
      expect(r.success, JSON.stringify(bad)).toBe(false);
      expect(r.error!.issues[0]!.path[0]).toBe(Object.keys(bad)[0]!);
    }
  });
});

test("listed schemas keep types and meaningful bounds, drop $schema, ±2^53 and additionalProperties", () => {
  const tool = listedTool({
    name: "t",
    description: "d",
    input: { n: z.number().int().min(1).optional(), s: z.string() },
    output: { x: z.number().int() },
    hints: { readOnly: true, destructive: false, idempotent: true, openWorld: false },
  });
  expect(tool).toEqual({
    name: "t",
    description: "d",
    inputSchema: {
      type: "object",
      properties: { n: { type: "integer", minimum: 1 }, s: { type: "string" } },
      required: ["s"],
    },
    outputSchema: { type: "object", properties: { x: { type: "integer" } }, required: ["x"] },
    annotations: { readOnlyHint: true, openWorldHint: false },
  });
});

test("annotations list exactly the hints that differ from the spec defaults, and mean the same", () => {
  const all = [true, false].flatMap((readOnly) =>
    [true, false].flatMap((destructive) =>
      [true, false].flatMap((idempotent) =>
        [true, false].map((openWorld) => ({ readOnly, destructive, idempotent, openWorld })),
      ),
    ),
  );
  for (const h of all) {
    const back = effectiveHints(annotationsFor(h));
    expect(back.readOnly).toBe(h.readOnly);
    expect(back.openWorld).toBe(h.openWorld);
    if (!h.readOnly) expect(back).toEqual(h);
  }
  expect(annotationsFor({ readOnly: false, destructive: true, idempotent: false, openWorld: true })).toEqual({});
});
