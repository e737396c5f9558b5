import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cwdLockKey, isInside, resolveJobCwd } from "../../../src/worker/claude/cwd.ts";

let base: string;
let root: string;
let outside: string;

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), "bridge-cwd-")));
  root = join(base, "projects");
  outside = join(base, "secret");
  mkdirSync(join(root, "repo", "src"), { recursive: true });
  mkdirSync(outside);
  mkdirSync(join(base, "projects-evil"));
  writeFileSync(join(root, "file.txt"), "x");
  symlinkSync(outside, join(root, "escape"));
  symlinkSync(join(root, "repo"), join(root, "alias"));
  symlinkSync(root, join(base, "root-link"));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("resolveJobCwd", () => {
  test("a directory inside the root resolves to itself", () => {
    expect(resolveJobCwd(join(root, "repo", "src"), [root])).toBe(join(root, "repo", "src"));
    expect(resolveJobCwd(root, [root])).toBe(root);
  });

  test("no cwd → the first existing root", () => {
    expect(resolveJobCwd(undefined, [join(base, "missing"), root])).toBe(root);
  });

  test("a symlink inside the root that points inside is followed", () => {
    expect(resolveJobCwd(join(root, "alias"), [root])).toBe(join(root, "repo"));
  });

  test("a symlinked allow-root is resolved before comparing", () => {
    expect(resolveJobCwd(join(root, "repo"), [join(base, "root-link")])).toBe(join(root, "repo"));
  });

  test("a symlink that escapes the root is refused without saying where it leads", () => {
    expect(() => resolveJobCwd(join(root, "escape"), [root])).toThrow(
      /not a directory inside the worker.s allowed roots/,
    );
    try {
      resolveJobCwd(join(root, "escape"), [root]);
    } catch (err) {
      expect(String(err)).not.toContain("secret");
    }
  });

  test("outside the roots, a missing and an existing path get the same answer (no existence oracle)", () => {
    const msg = (p: string) => {
      try {
        resolveJobCwd(p, [root]);
        return "";
      } catch (err) {
        return (err as Error).message.replace(p, "<p>");
      }
    };
    expect(msg(join(base, "secret"))).toBe(msg(join(base, "no-such-dir")));
    expect(msg("/etc")).toBe(msg("/etc-nope"));
  });

  test("`..` cannot climb out", () => {
    expect(() => resolveJobCwd(`${root}/repo/../../secret`, [root])).toThrow(/not a directory inside/);
  });

  test("a sibling with the root as a name prefix is outside", () => {
    expect(() => resolveJobCwd(join(base, "projects-evil"), [root])).toThrow(/not a directory inside/);
  });

  test("relative, missing, NUL and non-directory paths are refused", () => {
    expect(() => resolveJobCwd("repo", [root])).toThrow(/absolute/);
    expect(() => resolveJobCwd(join(root, "nope"), [root])).toThrow(/does not exist/);
    expect(() => resolveJobCwd(`${root}\0/x`, [root])).toThrow(/absolute/);
    expect(() => resolveJobCwd(join(root, "file.txt"), [root])).toThrow(/not a directory/);
  });

  test("no existing root → nothing may run", () => {
    expect(() => resolveJobCwd(undefined, [join(base, "missing")])).toThrow(/no existing --allow-root/);
    expect(() => resolveJobCwd(root, [])).toThrow(/allow-root/);
  });
});

test("isInside", () => {
  expect(isInside("/a/b", "/a")).toBe(true);
  expect(isInside("/a", "/a")).toBe(true);
  expect(isInside("/ab", "/a")).toBe(false);
  expect(isInside("/x", "/")).toBe(true);
});

test("cwdLockKey: same default and symlink resolution as resolveJobCwd", () => {
  expect(cwdLockKey(undefined, [root])).toBe(resolveJobCwd(undefined, [root]));
  expect(cwdLockKey(join(root, "alias"), [root])).toBe(join(root, "repo"));
  expect(cwdLockKey(join(root, "missing", "..", "x"), [root])).toBe(join(root, "x"));
  expect(cwdLockKey(42, [root])).toBe(root);
});
