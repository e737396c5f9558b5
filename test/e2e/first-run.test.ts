/**
 * A new user's first minutes with the compiled binary: `bridge` alone, `bridge serve` typed into a
 * terminal, and the client configuration `bridge worker --init` prints (JSON that parses, a token
 * *file* setting, and a Claude Code command the real CLI accepts).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bridgeEnv, requireBinary, tempDir } from "../support/bridge.ts";
import { CLAUDE_BIN, claudeEnv } from "../support/claude-cli.ts";
import { hasScript, runWithTtyStdin } from "../support/tty.ts";

const bin = requireBinary();
const root = tempDir();
afterAll(root.cleanup);

describe("first run", () => {
  test("`bridge` with no command prints the usage on stderr and exits 2", () => {
    const r = Bun.spawnSync([bin], { env: bridgeEnv(root.path), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(2);
    expect(r.stdout.toString()).toBe("");
    const err = r.stderr.toString();
    expect(err).toContain("USAGE");
    for (const cmd of ["serve", "run", "worker", "discover", "doctor"]) expect(err).toContain(cmd);
  });

  test.skipIf(!hasScript)(
    `\`bridge serve\` on a terminal says what it is and how to add it to a client, on one stderr line${hasScript ? "" : " (skipped: no util-linux script)"}`,
    async () => {
      const r = await runWithTtyStdin([bin, "serve"], bridgeEnv(root.path));
      expect(r.code).toBe(2); // it exits by itself: nobody has to type anything
      expect(r.stdout).toBe(""); // stdout stays the protocol's
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("MCP server");
      const snippet = /add (\{.*\}) to your client's config/.exec(lines[0]!)?.[1];
      expect(JSON.parse(snippet!)).toEqual({ mcpServers: { bridge: { command: bin, args: ["serve"] } } });
    },
    30_000,
  );

  test("`bridge worker --init` prints JSON client config with the token file, and a Claude Code command that works", () => {
    const home = tempDir();
    try {
      const bridgeRoot = join(home.path, "bridge-root");
      const r = Bun.spawnSync([bin, "worker", "--init"], {
        env: bridgeEnv(bridgeRoot, { HOME: home.path }),
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(r.exitCode, r.stderr.toString()).toBe(0);
      const out = r.stdout.toString();
      expect(out).not.toContain("$(cat");
      const tokenFile = join(bridgeRoot, "token");
      const lines = out.split("\n");
      const json = lines.slice(lines.indexOf("  {"), lines.indexOf("  }") + 1).join("\n");
      const env = { BRIDGE_ROOT: bridgeRoot, BRIDGE_TOKEN_FILE: tokenFile };
      expect(JSON.parse(json)).toEqual({ mcpServers: { bridge: { command: bin, args: ["serve"], env } } });

      // The Claude Code line, run by the real CLI, registers the same server.
      const line = lines.find((l) => l.trim().startsWith("claude mcp add"))!.trim();
      const argv = line.split(" ").slice(1); // no quoting needed: the temp paths are plain
      const add = Bun.spawnSync([CLAUDE_BIN, ...argv], {
        env: claudeEnv(undefined, home.path),
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(add.exitCode, add.stderr.toString()).toBe(0);
      const registered = JSON.parse(readFileSync(join(home.path, ".claude.json"), "utf8")).mcpServers.bridge;
      expect(registered).toMatchObject({ command: bin, args: ["serve"], env });
    } finally {
      home.cleanup();
    }
  }, 60_000);
});
