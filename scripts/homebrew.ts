/**
 * Renders the Homebrew formula for a release from its real checksums (so it can never drift from
 * the archives). `scripts/release.ts` writes it to dist/release/bridge.rb for the tap.
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

/** The formula text; throws when a needed archive's checksum is missing. */
export function renderFormula({ version, baseUrl, sums }: FormulaInput): string {
  const block = (os: string) =>
    PLATFORMS.filter(([o]) => o === os).map(([, cpu, platform]) => {
      const file = `bridge-${platform}.tar.gz`;
      const sum = sums[file];
      if (!sum || !/^[0-9a-f]{64}$/.test(sum)) throw new Error(`homebrew: no sha256 for ${file}`);
      return `    on_${cpu} do\n      url "${baseUrl}/${file}"\n      sha256 "${sum}"\n    end`;
    }).join("\n");
  return `class Bridge < Formula
  desc "Safe local execution for any MCP client: sandboxed Python, proxied MCP servers, Claude Code"
  homepage "https://github.com/bridge-mcp/bridge"
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
    assert_match version.to_s, shell_output("#{bin}/bridge --version")
  end
end
`;
}
