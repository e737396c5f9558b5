import { describe, expect, test } from "bun:test";
import { decode } from "@toon-format/toon";
import {
  formatText,
  isFailure,
  normalizeOutcome,
  runOutputSchema,
  toStructured,
  type RunOutcome,
} from "../../../src/output/format.ts";

const out = (text: string, truncated = false) => ({ text, totalBytes: Buffer.byteLength(text), truncated });
const outcome = (o: Partial<RunOutcome>): RunOutcome => ({ status: "ok", output: out(""), images: [], ...o });

describe("run result formatting", () => {
  test("structured result has exactly the declared keys", () => {
    const s = toStructured(outcome({ status: "error", output: out("x\n", true), error: "Traceback...", value: "1" }));
    expect(s).toEqual({ status: "error", output: "x\n", result: "1", error: "Traceback...", truncated: true });
    expect(runOutputSchema.safeParse({ ...s, extra: 1 }).success).toBe(false);
    expect(toStructured(outcome({}))).toEqual({ status: "ok", output: "" });
  });

  test("compact text: output as written, then the value, error and exit code", () => {
    expect(formatText(outcome({ output: out("a\n\nb\n"), value: "42" }), "compact")).toBe("a\n\nb\n=> 42");
    expect(formatText(outcome({ status: "exit", exitCode: 3 }), "compact")).toBe("[exit code 3]");
    expect(formatText(outcome({ status: "error", error: "Traceback\nValueError: x\n" }), "compact")).toBe(
      "Traceback\nValueError: x",
    );
    expect(formatText(outcome({}), "compact")).toBe("(no output)");
    expect(formatText(outcome({ images: [new Uint8Array(1), new Uint8Array(1)] }), "compact")).toBe(
      "[2 images attached]",
    );
  });

  test("toon text decodes back to the structured result", () => {
    const o = outcome({ output: out("line 1\n\nline 3\n"), value: "'x'" });
    expect(decode(formatText(o, "toon"))).toEqual(toStructured(o));
  });

  test("large output is not repeated in the text", () => {
    const text = formatText(outcome({ output: out("x".repeat(2000)), value: "1" }), "compact", 1000);
    expect(text).toBe("[2.0 KiB of output: see structuredContent.output]\n=> 1");
  });

  test("a clamped timeout (or any bridge note) shows in both forms", () => {
    expect(
      formatText(
        outcome({ output: out("x\n") }),
        "compact",
        Infinity,
        "timeout 500 s is above the maximum; ran with 120 s",
      ),
    ).toBe("x\n[timeout 500 s is above the maximum; ran with 120 s]");
    expect(toStructured(outcome({}), "n")).toEqual({ status: "ok", output: "", note: "n" });
  });

  test("whatever the sandbox reports is coerced to the declared types (SystemExit takes any object)", () => {
    const exit = (code: unknown) => normalizeOutcome(outcome({ status: "exit", exitCode: code as number }));
    expect(exit(false).exitCode).toBe(0);
    expect(exit(true).exitCode).toBe(1);
    expect(exit(2.5).exitCode).toBe(1);
    expect(exit("bye").exitCode).toBe(1);
    expect(exit(undefined).exitCode).toBe(0);
    expect(exit(7).exitCode).toBe(7);
    const forged = normalizeOutcome({
      status: "pwned",
      output: { text: 42 },
      value: { a: 1 },
      error: null,
      images: null,
    } as unknown as RunOutcome);
    expect(forged).toMatchObject({ status: "error", output: { text: "42" }, value: '{"a":1}', images: [] });
    expect(forged.error).toContain("unknown status");
    expect(runOutputSchema.safeParse(toStructured(forged)).success).toBe(true);
  });

  test("isError for everything but success and exit code 0", () => {
    expect(isFailure({ status: "ok" })).toBe(false);
    expect(isFailure({ status: "exit", exitCode: 0 })).toBe(false);
    for (const status of ["error", "timeout", "cancelled", "killed"] as const) expect(isFailure({ status })).toBe(true);
    expect(isFailure({ status: "exit", exitCode: 2 })).toBe(true);
  });
});
