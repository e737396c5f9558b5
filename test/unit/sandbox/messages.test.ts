/** Checking `done` and `call` frames from the sandbox. */
import { describe, expect, test } from "bun:test";
import { jsonShape, parseCall, parseDone } from "../../../src/sandbox/messages.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("parseDone", () => {
  test("value and error come from the body by their byte lengths", () => {
    expect(
      parseDone({ header: { t: "done", status: "error", valueBytes: 3, errorBytes: 4 }, body: enc("étrace") }, 100),
    ).toEqual({ status: "error", value: "ét", error: "race" });
    expect(parseDone({ header: { t: "done", status: "exit", exitCode: 3 }, body: new Uint8Array(0) }, 100)).toEqual({
      status: "exit",
      exitCode: 3,
    });
    // A value the kernel cut carries its full size, for the note of the host's own cut.
    expect(
      parseDone({ header: { t: "done", status: "ok", valueBytes: 3, valueTotal: 3_000_000 }, body: enc("abc") }, 100),
    ).toEqual({ status: "ok", value: "abc", valueTotal: 3_000_000 });
  });
  test("anything else is refused with the field named, marked discard, never a schema dump", () => {
    const bad = [
      [{ t: "done", status: "pwned" }, "", "status"],
      [{ t: "done", status: "ok", exitCode: 1.5 }, "", "exitCode"],
      [{ t: "done", status: "killed", signal: 0 }, "", "signal"],
      [{ t: "done", status: "ok", valueBytes: 5 }, "abc", "do not match"],
      [{ t: "done", status: "ok", valueBytes: -1 }, "", "valueBytes"],
      [{ t: "done", status: "ok", valueBytes: 3, valueTotal: 2 }, "abc", "full size smaller"],
      [{ t: "done", status: "error", errorBytes: 3, errorTotal: "big" }, "abc", "errorTotal"],
    ] as const;
    for (const [header, body, mention] of bad) {
      const d = parseDone({ header, body: enc(body) }, 100);
      expect(d.status).toBe("error");
      expect(d.discard).toBe(true);
      expect(d.error).toContain(mention);
      expect(d.error).not.toContain('"code"');
    }
    expect(
      parseDone({ header: { t: "done", status: "ok" }, body: new Uint8Array(0), dropped: 5000 }, 100).error,
    ).toContain("5000 bytes, more than the 100 allowed");
  });
});

describe("parseCall", () => {
  test("a call without a usable id cannot be answered; a bad method is answered with a problem", () => {
    expect(parseCall({ t: "call", cid: 1, method: "memory.list" })).toEqual({ cid: 1, method: "memory.list" });
    expect(parseCall({ t: "call", cid: "1", method: "x" })).toBeUndefined();
    expect(parseCall({ t: "call", cid: -1, method: "x" })).toBeUndefined();
    expect(parseCall({ t: "call", cid: 2, method: 5 })?.problem).toContain("method name");
    expect(parseCall({ t: "call", cid: 2, method: "m".repeat(300) })?.problem).toContain("256");
  });
});

describe("jsonShape (host-call parameters counted before JSON.parse)", () => {
  const shape = (s: string, maxValues = 1e9, maxDepth = 1e9) =>
    jsonShape(new TextEncoder().encode(s), maxValues, maxDepth);
  test("counts containers and comma-separated values, not what is inside strings", () => {
    expect(shape("null")).toEqual({ values: 1, depth: 0 });
    expect(shape("[[],[],[]]")).toEqual({ values: 7, depth: 2 });
    expect(shape('{"a":1,"b":[2,3]}')).toEqual({ values: 5, depth: 2 });
    expect(shape('["[,{", "\\"],[", "\\\\"]')).toEqual({ values: 4, depth: 1 });
  });
  test("stops early past a limit, reporting more than it", () => {
    expect(shape("[" + "[],".repeat(1000) + "[]]", 10).values).toBeGreaterThan(10);
    expect(shape("[".repeat(600) + "]".repeat(600), 1e9, 512).depth).toBeGreaterThan(512);
  });
});
