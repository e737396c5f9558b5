/** Discovery on the real disk: big state files, special files named like config files, links. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { discoverServers } from "../../../src/upstream/discovery/index.ts";
import { MAX_CONFIG_BYTES, nodeDiscoveryFs } from "../../../src/upstream/discovery/fs.ts";
import { tempDir } from "../../support/bridge.ts";

const config = { allowServers: [], denyServers: [], allowSelfServer: false, serversConfig: [], trustedProjects: [] };

describe("the real file system", () => {
  const dir = tempDir("bridge-discovery-fs-");
  afterAll(dir.cleanup);
  const home = join(dir.path, "home");
  const project = join(dir.path, "project");
  mkdirSync(join(home, ".cursor"), { recursive: true });
  mkdirSync(project, { recursive: true });
  const run = (cwd = project) =>
    discoverServers({
      config,
      home,
      cwd,
      platform: "linux",
      env: { PATH: "/usr/bin:/bin", HOME: home },
      systemDirs: { claudeManaged: join(dir.path, "etc-cc"), geminiSystem: join(dir.path, "etc-gem") },
    });

  test("a 40 MB ~/.claude.json (Claude Code's state file) still yields its servers", async () => {
    const history = Array.from({ length: 40 }, (_, i) => ({
      display: `prompt ${i} ${"x".repeat(900)}`,
      pastedContents: {},
    }));
    const projects: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) projects[`/code/p${i}`] = { history, mcpServers: {} };
    projects[project] = { mcpServers: { local: { command: "sh" } } };
    writeFileSync(
      join(home, ".claude.json"),
      JSON.stringify({ numStartups: 1, projects, mcpServers: { user: { command: "sh" } } }),
    );
    const r = await run();
    expect(r.problems).toEqual([]);
    expect(Object.fromEntries(r.servers.map((s) => [s.name, `${s.scope}:${s.status}`]))).toEqual({
      local: "local:ok",
      user: "user:ok",
    });
    // Unchanged file: the extraction is reused (same result).
    expect((await run()).servers.map((s) => s.name)).toEqual(["local", "user"]);
  }, 60_000);

  test("a FIFO named like a config file is refused at once, never read (no freeze)", async () => {
    for (const path of [join(project, ".mcp.json"), join(home, ".cursor", "mcp.json")]) {
      expect(Bun.spawnSync(["mkfifo", path]).exitCode).toBe(0);
    }
    const r = await run();
    expect(r.problems.map((p) => p.reason)).toEqual([
      expect.stringContaining("not a regular file (a FIFO)"),
      expect.stringContaining("not a regular file (a FIFO)"),
    ]);
    expect(r.servers.map((s) => s.name)).toContain("user");
  }, 30_000);

  test("an oversized ordinary config file is refused with its size; a symlinked one is followed", async () => {
    const big = join(dir.path, "big");
    mkdirSync(join(big, ".kiro", "settings"), { recursive: true });
    writeFileSync(join(big, ".kiro", "settings", "mcp.json"), Buffer.alloc(MAX_CONFIG_BYTES + 1, 32));
    const linked = join(dir.path, "dotfiles-mcp.json");
    writeFileSync(linked, JSON.stringify({ mcpServers: { linked: { command: "sh" } } }));
    mkdirSync(join(home, ".codeium", "windsurf"), { recursive: true });
    symlinkSync(linked, join(home, ".codeium", "windsurf", "mcp_config.json"));
    const r = await run(big);
    expect(r.problems.find((p) => p.file.endsWith(".kiro/settings/mcp.json"))?.reason).toContain(
      `more than the ${MAX_CONFIG_BYTES} allowed`,
    );
    expect(r.servers.find((s) => s.name === "linked")?.status).toBe("ok");
  });

  test("nodeDiscoveryFs: missing files and directories read as undefined, missing dirs list as []", async () => {
    expect(await nodeDiscoveryFs.readBytes(join(dir.path, "none.json"), 10)).toBeUndefined();
    expect(await nodeDiscoveryFs.readBytes(project, 10)).toBeUndefined();
    expect(await nodeDiscoveryFs.listDir(join(dir.path, "nodir"))).toEqual([]);
    expect(await nodeDiscoveryFs.signature!(join(dir.path, "none"))).toBeUndefined();
  });
});
