import { expect, test } from "bun:test";
import { renderFormula } from "../../../scripts/homebrew.ts";

const sums = Object.fromEntries(["darwin-arm64", "darwin-x64", "linux-arm64", "linux-x64"].map((p, i) => [`bridge-${p}.tar.gz`, String(i).repeat(64)]));

test("the formula names every platform's archive with its checksum", () => {
  const rb = renderFormula({ version: "1.2.3", baseUrl: "https://example.test/v1.2.3", sums });
  expect(rb).toContain('version "1.2.3"');
  for (const [file, sum] of Object.entries(sums)) {
    expect(rb).toContain(`url "https://example.test/v1.2.3/${file}"`);
    expect(rb).toContain(`sha256 "${sum}"`);
  }
  expect(rb).toContain('bin.install "bridge"');
});

test("a missing checksum is an error, not a formula with a hole", () => {
  const { ["bridge-linux-x64.tar.gz"]: _, ...partial } = sums;
  expect(() => renderFormula({ version: "1", baseUrl: "u", sums: partial })).toThrow("bridge-linux-x64.tar.gz");
});
