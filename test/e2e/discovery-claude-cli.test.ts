/**
 * bridge reads Claude Code's configuration the way Claude Code does: on the claude-code fixture
 * (test/fixtures/clients/claude-code), the real CLI (`claude mcp get <name>`, @anthropic-ai/claude-code
 * from devDependencies) and `bridge discover --json` must agree on every server: which scope wins,
 * and whether it runs, waits for approval, is rejected or disabled, or is left out by policy.
 * The only allowed difference: a transport bridge cannot use (`ws`) is `not-usable` in bridge where
 * Claude Code tries to connect.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { bridgeEnv, requireBinary, tempDir } from "../support/bridge.ts";
import { copyClientFixture } from "../support/discovery-fixture.ts";

const bin = requireBinary();
const CLAUDE = resolve(import.meta.dir, "../../node_modules/.bin/claude");
const tools = tempDir("bridge-claude-cli-bin-");
beforeAll(() => {
  for (const name of ["npx", "node"]) {
    writeFileSync(join(tools.path, name), "#!/bin/sh\nexit 0\n");
    chmodSync(join(tools.path, name), 0o755);
  }
});
afterAll(tools.cleanup);

type Verdict = "runs" | "pending-approval" | "disabled" | "absent";

function claudeVerdict(out: string): { verdict: Verdict; scope?: string } {
  const scope = /Scope: (User|Local|Project) config/.exec(out)?.[1]?.toLowerCase();
  if (/No MCP server named/.test(out)) return { verdict: "absent" };
  if (/Pending approval/.test(out)) return { verdict: "pending-approval", scope };
  if (/Rejected|Disabled/.test(out)) return { verdict: "disabled", scope };
  if (/Failed to connect|Connected|Needs authentication/.test(out)) return { verdict: "runs", scope };
  throw new Error(`unrecognised \`claude mcp get\` output:\n${out}`);
}

function bridgeVerdict(status: string | undefined): Verdict {
  if (status === undefined || status === "excluded") return "absent";
  if (status === "pending-approval" || status === "disabled") return status;
  return "runs";
}

describe("bridge discover agrees with the real Claude Code CLI", () => {
  const fx = copyClientFixture("claude-code");
  afterAll(fx.cleanup);
  const env = { HOME: fx.home, PATH: `${tools.path}:/usr/bin:/bin`, GITHUB_PAT: "ghp_fixture_token_123456" };

  test("every server of the fixture: same verdict and same scope", () => {
    mkdirSync(join(fx.home, ".bridge"), { recursive: true });
    const r = Bun.spawnSync([bin, "discover", "--json"], {
      cwd: fx.project,
      env: { ...bridgeEnv(join(fx.home, ".bridge"), env), HOME: fx.home },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(r.exitCode).toBe(0);
    const servers = (
      JSON.parse(r.stdout.toString()) as {
        servers: Array<{ name: string; status: string; scope: string; format: string }>;
      }
    ).servers.filter((s) => s.format === "claude-code");
    const byName = new Map(servers.map((s) => [s.name, s]));
    const names = [...Object.keys(fx.expected.runs[0]!.servers), ...(fx.expected.runs[0]!.absent ?? [])];
    const cliEnv: Record<string, string> = { ...env, NO_COLOR: "1" };
    for (const k of ["ANTHROPIC_API_KEY", "CLAUDECODE", "CLAUDE_CONFIG_DIR"]) delete cliEnv[k];
    for (const name of names) {
      const cli = Bun.spawnSync([CLAUDE, "mcp", "get", name], {
        cwd: fx.project,
        env: cliEnv,
        stdout: "pipe",
        stderr: "pipe",
        timeout: 60_000,
      });
      const claude = claudeVerdict(cli.stdout.toString() + cli.stderr.toString());
      const mine = byName.get(name);
      const expected = mine?.status === "not-usable" ? "runs" : bridgeVerdict(mine?.status);
      expect({ name, verdict: claude.verdict }).toEqual({ name, verdict: expected });
      if (claude.scope) expect({ name, scope: mine?.scope }).toEqual({ name, scope: claude.scope });
    }
  }, 300_000);
});
