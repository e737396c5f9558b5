import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isBridgeError } from "../../../src/errors.ts";
import { MemoryStore, validateMemoryKey } from "../../../src/memory/store.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bridge-memory-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("validateMemoryKey", () => {
  test("accepts ordinary keys", () => {
    for (const k of ["a", "counter", "user.prefs", "A_b-c.9", "x".repeat(128)]) expect(validateMemoryKey(k)).toBe(k);
  });
  test("rejects path tricks and junk", () => {
    for (const k of [
      "",
      "..",
      ".",
      ".hidden",
      "a..b",
      "../etc/passwd",
      "a/b",
      "a\\b",
      "a\0b",
      "x".repeat(129),
      "a b",
      "ключ",
      "C:x",
      "%2e%2e",
    ]) {
      expect(() => validateMemoryKey(k)).toThrow(/invalid memory key/);
    }
    for (const k of [1, null, undefined, {}, ["a"]]) expect(() => validateMemoryKey(k)).toThrow(/invalid memory key/);
  });
});

describe("MemoryStore", () => {
  test("save, read, info, list, delete; survives a new instance", async () => {
    const s = new MemoryStore({ dir, now: () => new Date("2026-01-01T00:00:00Z") });
    expect(s.read("k")).toBeUndefined();
    expect(await s.save("k", { a: [1, "x"] })).toBe(1);
    expect(await s.save("k", { a: 2 })).toBe(2);
    const again = new MemoryStore({ dir });
    expect(again.read("k")?.value).toEqual({ a: 2 });
    expect(again.info("k")).toEqual({
      key: "k",
      size: 7,
      version: 2,
      created: "2026-01-01T00:00:00.000Z",
      updated: "2026-01-01T00:00:00.000Z",
    });
    await s.save("b", null);
    expect(s.list()).toEqual(["b", "k"]);
    expect(await s.delete("k")).toBe(true);
    expect(await s.delete("k")).toBe(false);
    expect(s.list()).toEqual(["b"]);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  test("values over the size limit fail clearly and write nothing", async () => {
    const s = new MemoryStore({ dir, maxValueBytes: 100 });
    try {
      await s.save("big", "x".repeat(200));
      throw new Error("expected an error");
    } catch (err) {
      expect(isBridgeError(err, "MEMORY_INVALID")).toBe(true);
      expect((err as Error).message).toContain("202 bytes as JSON, more than the limit of 100 bytes");
    }
    expect(s.list()).toEqual([]);
  });

  test("key count limit", async () => {
    const s = new MemoryStore({ dir, maxKeys: 2 });
    await s.save("a", 1);
    await s.save("b", 1);
    await s.save("a", 2);
    await expect(s.save("c", 1)).rejects.toThrow(/memory is full: 2 keys/);
  });

  test("50 concurrent read-modify-write updates end at 50", async () => {
    const s = new MemoryStore({ dir });
    const increment = async () => {
      const u = await s.beginUpdate("n");
      await Bun.sleep(Math.random() * 3);
      const r = await s.commitUpdate(u.token, ((u.value as number | null) ?? 0) + 1);
      expect(r.conflict).toBe(false);
    };
    await Promise.all(Array.from({ length: 50 }, increment));
    expect(s.read("n")?.value).toBe(50);
  });

  test("a save waits for a running update of the same key", async () => {
    const s = new MemoryStore({ dir });
    const u = await s.beginUpdate("k");
    let saved = false;
    const save = s.save("k", "from save").then(() => (saved = true));
    await Bun.sleep(20);
    expect(saved).toBe(false);
    await s.commitUpdate(u.token, "from update");
    await save;
    expect(s.read("k")?.value).toBe("from save");
  });

  test("another process's write is detected as a conflict at commit", async () => {
    const a = new MemoryStore({ dir });
    const b = new MemoryStore({ dir });
    const u = await a.beginUpdate("k");
    await b.save("k", "other");
    expect(await a.commitUpdate(u.token, "mine")).toEqual({ conflict: true, version: 1 });
    expect(a.read("k")?.value).toBe("other");
  });

  test("the lock is released when the call ends (signal aborts) and by abortUpdate", async () => {
    const s = new MemoryStore({ dir });
    const call = new AbortController();
    const u = await s.beginUpdate("k", call.signal);
    call.abort();
    const u2 = await s.beginUpdate("k");
    await expect(s.commitUpdate(u.token, 1)).rejects.toThrow(/unknown or expired/);
    s.abortUpdate(u2.token);
    await s.save("k", 3);
    expect(s.read("k")?.value).toBe(3);
  });

  test("a waiter whose call ends stops waiting", async () => {
    const s = new MemoryStore({ dir });
    const held = await s.beginUpdate("k");
    const call = new AbortController();
    const waiting = s.beginUpdate("k", call.signal);
    call.abort();
    await expect(waiting).rejects.toThrow(/cancelled/);
    s.abortUpdate(held.token);
    const next = await s.beginUpdate("k");
    await s.commitUpdate(next.token, "ok");
    expect(s.read("k")?.value).toBe("ok");
  });

  test("a corrupt file is reported, not silently replaced", async () => {
    const s = new MemoryStore({ dir });
    await Bun.write(join(dir, "bad.json"), "{oops");
    expect(() => s.read("bad")).toThrow(/memory bad is corrupt/);
  });
});

describe("MemoryStore across processes", () => {
  test("4 processes × 15 concurrent increments of one key end at 60", async () => {
    const script = join(import.meta.dir, "../../support/memory-incrementer.ts");
    const procs = Array.from({ length: 4 }, () =>
      Bun.spawn([process.execPath, script, dir, "shared", "15"], { stdout: "pipe", stderr: "pipe" }),
    );
    const codes = await Promise.all(procs.map((p) => p.exited));
    const errors = await Promise.all(procs.map((p) => new Response(p.stderr).text()));
    expect(errors.join("")).toBe("");
    expect(codes).toEqual([0, 0, 0, 0]);
    expect(new MemoryStore({ dir }).read("shared")?.value).toBe(60);
    expect(readdirSync(dir).filter((f) => !f.endsWith(".json"))).toEqual([]);
  }, 60_000);

  test("a stale lock file left by a dead process is broken", async () => {
    const { withFileLock } = await import("../../../src/memory/file-lock.ts");
    const lock = join(dir, ".k.lock");
    await Bun.write(lock, "99999");
    const old = new Date(Date.now() - 60_000);
    (await import("node:fs")).utimesSync(lock, old, old);
    expect(await withFileLock(lock, () => "ran")).toBe("ran");
    await Bun.write(lock, "1");
    await expect(withFileLock(lock, () => "ran", { timeoutMs: 50 })).rejects.toThrow(
      /locked by another bridge process/,
    );
  });
});
