import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileRefusedError, readRegularFile } from "../../../src/fs/read.ts";

const dir = mkdtempSync(join(tmpdir(), "bridge-read-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("reads a regular file; missing → undefined", () => {
  writeFileSync(join(dir, "a.json"), "{}");
  expect(readRegularFile(join(dir, "a.json"), { maxBytes: 10 })).toBe("{}");
  expect(readRegularFile(join(dir, "missing"), { maxBytes: 10 })).toBeUndefined();
  expect(readRegularFile(join(dir, "a.json", "below-a-file"), { maxBytes: 10 })).toBeUndefined();
});

test("a FIFO is refused at once instead of blocking", () => {
  const fifo = join(dir, "job.json");
  expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
  const started = Date.now();
  let err: unknown;
  try {
    readRegularFile(fifo, { maxBytes: 1024 });
  } catch (e) {
    err = e;
  }
  expect(Date.now() - started).toBeLessThan(2000);
  expect(err).toBeInstanceOf(FileRefusedError);
  expect((err as FileRefusedError).reason).toBe("not-regular");
  expect((err as Error).message).toContain("FIFO");
});

test("directories, symlinks and oversize files are refused", () => {
  mkdirSync(join(dir, "d"));
  writeFileSync(join(dir, "big"), "x".repeat(100));
  symlinkSync(join(dir, "big"), join(dir, "link"));
  const reason = (p: string, opts: { maxBytes: number; followSymlinks?: boolean }) => {
    try {
      readRegularFile(p, opts);
      return "read";
    } catch (e) {
      return (e as FileRefusedError).reason;
    }
  };
  expect(reason(join(dir, "d"), { maxBytes: 10 })).toBe("not-regular");
  expect(reason(join(dir, "big"), { maxBytes: 99 })).toBe("too-large");
  expect(reason(join(dir, "big"), { maxBytes: 100 })).toBe("read");
  expect(reason(join(dir, "link"), { maxBytes: 100 })).toBe("symlink");
  expect(reason(join(dir, "link"), { maxBytes: 100, followSymlinks: true })).toBe("read");
});
