import { describe, expect, test } from "bun:test";
import { JsonScanError, scanTopLevel } from "../../../src/upstream/discovery/scan-json.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const scan = (text: string, want = "/p") =>
  scanTopLevel(enc(text), { keys: ["mcpServers"], nested: { container: "projects", want: (k) => k === want } });

describe("scanTopLevel: only the wanted members of a huge JSON document are parsed", () => {
  test("extracts top-level members and one nested entry; equal to JSON.parse on those", () => {
    const doc = {
      numStartups: 3,
      tips: ["a", { b: [1, 2, { c: '}]"\\\\' }] }],
      mcpServers: { s: { command: "x", args: ['"quoted"', "\\\\"] } },
      projects: {
        "/a": { history: [{ display: '{["' }] },
        "/p": { mcpServers: { l: { command: "y" } }, hasTrustDialogAccepted: true },
        "/z": {},
      },
      ünïcödé: "✓",
      n: -1.5e10,
      t: true,
      f: false,
      z: null,
    };
    for (const text of [
      JSON.stringify(doc),
      JSON.stringify(doc, null, 2),
      `\uFEFF${JSON.stringify(doc, null, "\t")}\n`,
    ]) {
      const r = scan(text);
      expect(r.values.mcpServers).toEqual(doc.mcpServers);
      expect(r.nested["/p"]).toEqual(doc.projects["/p"]);
      expect(Object.keys(r.nested)).toEqual(["/p"]);
    }
  });

  test("random documents: the extracted values match JSON.parse", () => {
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const strings = ["", "a", '"', "\\", "}", "]", '{"x":1}', "é", "\n", "\u2028"];
    const value = (depth: number): unknown => {
      const r = rnd();
      if (depth > 3 || r < 0.3)
        return r < 0.1 ? null : r < 0.2 ? Math.round(rnd() * 1e6) / 100 : strings[Math.floor(rnd() * strings.length)];
      if (r < 0.65) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(rnd() * 4) }, (_, i) => [
          `${strings[Math.floor(rnd() * strings.length)]}${i}`,
          value(depth + 1),
        ]),
      );
    };
    for (let i = 0; i < 200; i++) {
      const doc = { a: value(0), mcpServers: value(0), projects: { "/p": value(0), other: value(0) }, b: value(0) };
      const r = scan(JSON.stringify(doc));
      expect(r.values.mcpServers).toEqual(JSON.parse(JSON.stringify(doc.mcpServers)));
      expect(r.nested["/p"]).toEqual(JSON.parse(JSON.stringify(doc.projects["/p"])));
    }
  });

  test("duplicate keys: the last one wins, as with JSON.parse", () => {
    expect(scan('{"mcpServers": {"a": 1}, "mcpServers": {"b": 2}}').values.mcpServers).toEqual({ b: 2 });
  });

  test.each([
    ['{"mcpServers": {"a": 1}', "comma or closing brace expected"],
    ['{"mcpServers": {"a": [1}', "mismatched"],
    ['{"mcpServers": {"a": [1', "unterminated object or array"],
    ['{"mcpServers": {"a": "x}}', "unterminated string"],
    ['{"a": [1, 2}', "mismatched bracket"],
    ['{"a" 1}', "colon expected"],
    ['{"a": 1 "b": 2}', "comma or closing brace expected"],
    ["[1, 2]", "object expected"],
    ['{"a": 1} trailing', "unexpected content"],
    ['{"mcpServers": {"a": tru}}', "not valid JSON"],
  ])("malformed %j → %s, with a byte offset", (text, message) => {
    let err: unknown;
    try {
      scan(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JsonScanError);
    expect((err as Error).message).toContain(message);
    expect((err as JsonScanError).offset).toBeGreaterThanOrEqual(0);
  });
});
