import { describe, expect, test } from "bun:test";
import { isBridgeError } from "../../../src/errors.ts";
import { PERMISSION_ORDER, effectivePermissionMode, isPermissionMode } from "../../../src/worker/claude/permissions.ts";

describe("effectivePermissionMode", () => {
  test("no request → the ceiling", () => {
    expect(effectivePermissionMode(undefined, "default", false)).toBe("default");
    expect(effectivePermissionMode(undefined, "acceptEdits", false)).toBe("acceptEdits");
  });

  test("a job may ask for less than the ceiling", () => {
    expect(effectivePermissionMode("plan", "acceptEdits", false)).toBe("plan");
    expect(effectivePermissionMode("default", "acceptEdits", true)).toBe("default");
    expect(effectivePermissionMode("acceptEdits", "acceptEdits", true)).toBe("acceptEdits");
  });

  test("asking for more than the ceiling is refused with the ceiling in the hint", () => {
    for (const [asked, ceiling] of [
      ["acceptEdits", "default"],
      ["bypassPermissions", "auto"],
      ["default", "plan"],
      ["auto", "acceptEdits"],
    ] as const) {
      try {
        effectivePermissionMode(asked, ceiling, false);
        throw new Error("not refused");
      } catch (err) {
        expect(isBridgeError(err, "CLAUDE_FAILED")).toBe(true);
        expect((err as Error).message).toContain(asked);
        expect((err as { hint: string }).hint).toContain(ceiling);
      }
    }
  });

  test("bypassPermissions is refused as root even under a bypass ceiling", () => {
    expect(() => effectivePermissionMode("bypassPermissions", "bypassPermissions", true)).toThrow(/root/);
    expect(effectivePermissionMode("bypassPermissions", "bypassPermissions", false)).toBe("bypassPermissions");
  });

  test("unknown modes (hostile input) are refused", () => {
    for (const bad of [
      "--dangerously-skip-permissions",
      "BYPASSPERMISSIONS",
      "",
      3,
      null,
      "constructor",
      "__proto__",
    ]) {
      expect(() => effectivePermissionMode(bad, "bypassPermissions", false)).toThrow(/Unknown permission_mode/);
    }
    expect(() => effectivePermissionMode(undefined, "yolo" as never, false)).toThrow(/ceiling/);
  });

  test("order is total and documented", () => {
    expect(PERMISSION_ORDER).toEqual(["plan", "dontAsk", "default", "acceptEdits", "auto", "bypassPermissions"]);
    expect(isPermissionMode("toString")).toBe(false);
  });
});
