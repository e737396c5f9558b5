import { describe, expect, test } from "bun:test";
import { DESC, lintFormula, renderFormula } from "../../../scripts/release/homebrew.ts";

const sums = Object.fromEntries(
  ["darwin-arm64", "darwin-x64", "linux-arm64", "linux-x64"].map((p, i) => [
    `bridge-${p}.tar.gz`,
    String(i).repeat(64),
  ]),
);
const formula = renderFormula({ version: "1.2.3", baseUrl: "https://example.test/v1.2.3", sums });

test("the formula names every platform's archive with its checksum", () => {
  expect(formula).toContain('version "1.2.3"');
  for (const [file, sum] of Object.entries(sums)) {
    expect(formula).toContain(`url "https://example.test/v1.2.3/${file}"`);
    expect(formula).toContain(`sha256 "${sum}"`);
  }
  expect(formula).toContain('bin.install "bridge"');
});

test("a missing checksum is an error, not a formula with a hole", () => {
  const { ["bridge-linux-x64.tar.gz"]: _, ...partial } = sums;
  expect(() => renderFormula({ version: "1", baseUrl: "u", sums: partial })).toThrow("bridge-linux-x64.tar.gz");
});

describe("Homebrew audit rules checked offline", () => {
  test("the rendered formula passes them: desc ≤ 80 characters, no full stop, license, homepage, a functional test", () => {
    expect(DESC.length).toBeLessThanOrEqual(80);
    expect(lintFormula(formula)).toEqual([]);
    expect(formula).toContain("bridge discover --json");
  });

  const breakages: Array<[string, (rb: string) => string, string]> = [
    ["a desc over 80 characters", (rb) => rb.replace(DESC, `${DESC} and a great deal more`), "at most 80"],
    ["a desc ending in a full stop", (rb) => rb.replace(DESC, `${DESC}.`), "full stop"],
    ["a desc starting with an article", (rb) => rb.replace(DESC, "A tool"), "article"],
    ["a desc starting with the name", (rb) => rb.replace(DESC, "Bridge for MCP"), "formula name"],
    ["a desc in lower case", (rb) => rb.replace(DESC, "safe execution"), "capital letter"],
    ["'command line' spelled apart", (rb) => rb.replace(DESC, "Safe command line runner"), "command-line"],
    ["no license", (rb) => rb.replace(/^ {2}license .*\n/m, ""), "no license"],
    ["no homepage", (rb) => rb.replace(/^ {2}homepage .*\n/m, ""), "no homepage"],
    [
      "an http homepage",
      (rb) => rb.replace("https://github.com/bridge-mcp", "http://github.com/bridge-mcp"),
      "not https",
    ],
    [
      "a test that only checks the version",
      (rb) =>
        rb.replace(
          /( {2}test do\n)[\s\S]*?(\n {2}end\n)/,
          '$1    assert_match version.to_s, shell_output("#{bin}/bridge --version")$2',
        ),
      "only checks the version",
    ],
    ["no test", (rb) => rb.replace(/ {2}test do\n[\s\S]*?\n {2}end\n/, ""), "no `test do`"],
    ["shell_output(…, 0)", (rb) => rb.replace('bridge discover --json")', 'bridge discover --json", 0)'), "redundant"],
    [
      "a line over 118 characters",
      (rb) => rb.replace("  def install", `  # ${"x".repeat(120)}\n  def install`),
      "longer than 118",
    ],
    ["trailing whitespace", (rb) => rb.replace("  def install", "  def install "), "trailing whitespace"],
  ];
  test.each(breakages)("catches %s", (_, mutate, problem) => {
    const broken = mutate(formula);
    expect(broken).not.toBe(formula);
    expect(lintFormula(broken).join("\n")).toContain(problem);
  });
});
