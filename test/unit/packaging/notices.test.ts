import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageNotice } from "../../../scripts/release/notices.ts";

const dir = mkdtempSync(join(tmpdir(), "bridge-notices-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pkg(name: string, files: Record<string, string>): string {
  const d = join(dir, name);
  mkdirSync(d);
  writeFileSync(join(d, "package.json"), JSON.stringify({ name, version: "1.0.0", license: "BSD-2-Clause" }));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(d, f), text);
  return d;
}

test("per-license files (LICENSE.BSD, LICENSE-MIT) are shipped, each named when there are several", () => {
  const n = packageNotice(
    pkg("boundary", { "LICENSE.BSD": "bsd text", "LICENSE.LIBCXX": "libcxx text", "README.md": "x" }),
  );
  expect(n.text).toContain("LICENSE.BSD:\n\nbsd text");
  expect(n.text).toContain("LICENSE.LIBCXX:\n\nlibcxx text");
  expect(packageNotice(pkg("one", { "LICENSE-MIT": "mit text" })).text).toBe("mit text");
});

test("a package without any license file stops the release build", () => {
  expect(() => packageNotice(pkg("none", { "README.md": "x" }))).toThrow(/has no license file/);
});
