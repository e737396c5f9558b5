/**
 * Renders the Homebrew formula for a release from its real checksums (so it can never drift from
 * the archives), and checks it against the `brew audit --strict` / `brew style` rules that can be
 * verified without Homebrew (Library/Homebrew/rubocops: desc_helper.rb, class.rb; Homebrew's
 * .rubocop.yml line length). `scripts/release.ts` writes it to dist/release/bridge.rb for the tap.
 */

export interface FormulaInput {
  /** Release version without build metadata, e.g. "0.1.0". */
  version: string;
  /** Base URL of the release assets. */
  baseUrl: string;
  /** archive file name → sha256 hex. */
  sums: Record<string, string>;
}

const PLATFORMS = [
  ["macos", "arm", "darwin-arm64"],
  ["macos", "intel", "darwin-x64"],
  ["linux", "arm", "linux-arm64"],
  ["linux", "intel", "linux-x64"],
] as const;

export const DESC = "Safe local execution for any MCP client: sandboxed Python and your MCP servers";
export const HOMEPAGE = "https://github.com/bridge-mcp/bridge";

/**
 * What the formula's `test do` writes and expects: a Cursor config in the test HOME (Homebrew sets
 * HOME to testpath) that `bridge discover --json` must report as a usable server.
 */
export const FORMULA_TEST = {
  configPath: ".cursor/mcp.json",
  serverName: "brew-test",
  config: '{ "mcpServers": { "brew-test": { "command": "sh", "args": ["-c", "true"] } } }',
} as const;

/** The formula text; throws when a needed archive's checksum is missing. */
export function renderFormula({ version, baseUrl, sums }: FormulaInput): string {
  const block = (os: string) =>
    PLATFORMS.filter(([o]) => o === os)
      .map(([, cpu, platform]) => {
        const file = `bridge-${platform}.tar.gz`;
        const sum = sums[file];
        if (!sum || !/^[0-9a-f]{64}$/.test(sum)) throw new Error(`homebrew: no sha256 for ${file}`);
        return `    on_${cpu} do\n      url "${baseUrl}/${file}"\n      sha256 "${sum}"\n    end`;
      })
      .join("\n");
  return `class Bridge < Formula
  desc "${DESC}"
  homepage "${HOMEPAGE}"
  version "${version}"
  license "MIT"

  on_macos do
${block("macos")}
  end

  on_linux do
${block("linux")}
  end

  def install
    bin.install "bridge"
  end

  def caveats
    <<~EOS
      Use the absolute path in MCP client configs (GUI clients start servers with a minimal PATH):
        { "command": "#{opt_bin}/bridge", "args": ["serve"] }
      Run \`bridge doctor\` to check podman/docker, the sandbox image and the Claude CLI.
    EOS
  end

  test do
    (testpath/"${FORMULA_TEST.configPath}").write <<~JSON
      ${FORMULA_TEST.config}
    JSON
    servers = JSON.parse(shell_output("#{bin}/bridge discover --json"))["servers"]
    server = servers.find { |s| s["name"] == "${FORMULA_TEST.serverName}" }
    refute_nil server, "bridge discover did not find the server in #{testpath}/${FORMULA_TEST.configPath}"
    assert_equal "ok", server["status"]
    assert_match version.to_s, shell_output("#{bin}/bridge --version")
  end
end
`;
}

/** Homebrew's rules for `desc` (rubocops/shared/desc_helper.rb), for formula `name`. */
function descProblems(desc: string, name: string): string[] {
  const out: string[] = [];
  if (!desc) return ["desc is empty"];
  if (/^\s/.test(desc)) out.push("desc has leading spaces");
  if (/\s$/.test(desc)) out.push("desc has trailing spaces");
  const cmd = /(command ?line)/i.exec(desc);
  if (cmd) out.push(`desc should say "command-line", not "${cmd[1]}"`);
  if (/^(the|an?)(?=\s)/i.test(desc)) out.push("desc starts with an article");
  if (/^[a-z]/.test(desc) && !["iOS", "iPhone", "macOS"].includes(desc.split(/\s/)[0]!))
    out.push("desc should start with a capital letter");
  if (new RegExp(`^${name.replace(/-/g, "").split("").join("[\\s-]?")}\\b`, "i").test(desc))
    out.push("desc starts with the formula name");
  if (/\.$/.test(desc) && !desc.endsWith("etc.")) out.push("desc ends with a full stop");
  if (/\p{So}/u.test(desc)) out.push("desc contains an emoji or symbol");
  if (desc.length > 80) out.push(`desc is ${desc.length} characters (at most 80)`);
  return out;
}

/**
 * Offline `brew audit --strict` / `brew style` checks: desc rules, homepage and license present
 * (https homepage), a `test do` that is more than `true` or a version check, no `shell_output(…, 0)`,
 * 2-space indentation, double quotes, no tabs or trailing whitespace, lines ≤ 118, final newline.
 */
export function lintFormula(rb: string, name = "bridge"): string[] {
  const problems: string[] = [];
  const desc = /^ {2}desc "(.*)"$/m.exec(rb)?.[1];
  if (desc === undefined) problems.push("no desc");
  else problems.push(...descProblems(desc, name));
  const homepage = /^ {2}homepage "(.*)"$/m.exec(rb)?.[1];
  if (!homepage) problems.push("no homepage");
  else if (!homepage.startsWith("https://")) problems.push("homepage is not https");
  if (!/^ {2}license "[^"]+"$/m.test(rb)) problems.push("no license");
  const test = /^ {2}test do\n([\s\S]*?)^ {2}end$/m.exec(rb)?.[1];
  if (!test?.trim()) problems.push("no `test do` block (or an empty one)");
  else {
    const statements = test
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
    if (statements.join("\n") === "true") problems.push("`test do` should contain a real test");
    if (statements.every((l) => /--version|version\.to_s/.test(l)))
      problems.push("`test do` only checks the version: test what the formula does");
    if (/shell_output\([^)]*,\s*0\)/.test(test)) problems.push("passing 0 to `shell_output` is redundant");
    if (/\/usr\/local\/s?bin/.test(test)) problems.push("use #{bin} instead of /usr/local/bin in `test do`");
  }
  rb.split("\n").forEach((line, i) => {
    const at = `line ${i + 1}`;
    if (/\t/.test(line)) problems.push(`${at}: tab`);
    if (/\s+$/.test(line)) problems.push(`${at}: trailing whitespace`);
    if (line.length > 118) problems.push(`${at}: longer than 118 characters`);
    if (/^( {2})*\S/.test(line) === false && line.trim())
      problems.push(`${at}: indentation is not a multiple of 2 spaces`);
    if (/^\s*(desc|homepage|url|version|license|sha256) '/.test(line)) problems.push(`${at}: use double quotes`);
  });
  if (!rb.endsWith("\n") || rb.endsWith("\n\n")) problems.push("the file must end with exactly one newline");
  return problems;
}
