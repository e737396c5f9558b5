import { afterAll, describe, expect, test } from "bun:test";
import { discoverServers, usableServers, type DiscoverOptions, type DiscoveryFs } from "../../../src/upstream/discovery/index.ts";
import { copyDiscoveryFixture, memoryFs } from "../../support/discovery-fixture.ts";

const config = { allowServers: [] as string[], denyServers: [] as string[], allowSelfServer: false, serversConfig: undefined as string | undefined };
const base = (fs: DiscoveryFs, over: Partial<DiscoverOptions> = {}): DiscoverOptions =>
  ({ config, home: "/h", cwd: "/p", platform: "linux", env: { PATH: "/bin" }, fs, ...over });
const EXE = ["/bin/sh", "/bin/srv"];

describe("discoverServers (in-memory files)", () => {
  test("first definition of a name wins; later ones are listed as shadowed", async () => {
    const fs = memoryFs({
      "/h/MCPs/b.json": '{"mcpServers": {"dup": {"command": "sh", "args": ["MCPs-b"]}}}',
      "/h/MCPs/a.json": '{"mcpServers": {"dup": {"command": "sh", "args": ["MCPs-a"]}}}',
      "/p/.mcp.json": '{"mcpServers": {"dup": {"command": "sh", "args": ["project"]}, "only": {"command": "srv"}}}',
    }, EXE);
    const r = await discoverServers(base(fs));
    expect(r.servers.map((s) => s.name)).toEqual(["dup", "only"]);
    expect(r.servers[0]!.args).toEqual(["MCPs-a"]);
    expect(r.servers[0]!.shadowed).toEqual(["/h/MCPs/b.json", "/p/.mcp.json"]);
    expect(r.servers[0]).toMatchObject({ source: "/h/MCPs/a.json", format: "mcp-json", status: "ok", resolvedCommand: "/bin/sh" });
    expect(r.problems).toEqual([]);
  });

  test("a broken file is a problem with file and line; the other files still load", async () => {
    const fs = memoryFs({
      "/h/.cursor/mcp.json": '{\n  "mcpServers": {\n    "a": {"command": "sh"}\n    "b": {}\n  }\n}',
      "/h/.codex/config.toml": '[mcp_servers.codex]\ncommand = "srv"\n',
    }, EXE);
    const r = await discoverServers(base(fs));
    expect(r.servers.map((s) => s.name)).toEqual(["codex"]);
    expect(r.problems).toEqual([{ file: "/h/.cursor/mcp.json", line: 4, column: 5, reason: "not valid JSON: comma expected" }]);
    expect(r.searched.find((s) => s.file === "/h/.cursor/mcp.json")).toEqual({ file: "/h/.cursor/mcp.json", found: true });
  });

  test("a bad entry is skipped with its position; its siblings load", async () => {
    const fs = memoryFs({ "/h/.cursor/mcp.json": '{"mcpServers": {\n "bad": {"command": ["x", {}]},\n "good": {"command": "sh"}}}' }, EXE);
    const r = await discoverServers(base(fs));
    expect(r.servers.map((s) => s.name)).toEqual(["good"]);
    expect(r.problems[0]).toMatchObject({ line: 2, reason: expect.stringContaining('server "bad"') });
  });

  test("a later valid definition is used when the first one is invalid", async () => {
    const fs = memoryFs({
      "/h/MCPs/a.json": '{"mcpServers": {"x": {"command": 1}}}',
      "/h/.cursor/mcp.json": '{"mcpServers": {"x": {"command": "sh"}}}',
    }, EXE);
    const r = await discoverServers(base(fs));
    expect(r.servers).toHaveLength(1);
    expect(r.servers[0]!.source).toBe("/h/.cursor/mcp.json");
    expect(r.problems).toHaveLength(1);
  });

  test("a file that cannot be read is a problem, never an exception", async () => {
    const fs = memoryFs({ "/h/.cursor/mcp.json": '{"mcpServers": {"a": {"command": "sh"}}}' }, EXE);
    const failing: DiscoveryFs = { ...fs, readFile: async (p) => { if (p === "/p/.mcp.json") throw new Error("EACCES: permission denied"); return fs.readFile(p); } };
    const r = await discoverServers(base(failing));
    expect(r.servers.map((s) => s.name)).toEqual(["a"]);
    expect(r.problems).toEqual([{ file: "/p/.mcp.json", reason: "cannot read: EACCES: permission denied" }]);
  });

  test("MCP_SERVERS_CONFIG is read last; a missing one is reported", async () => {
    const fs = memoryFs({ "/etc/servers.json": '{"servers": {"extra": {"command": "sh"}}}' }, EXE);
    const r = await discoverServers(base(fs, { config: { ...config, serversConfig: "/etc/servers.json" } }));
    expect(r.servers.map((s) => `${s.name}:${s.format}`)).toEqual(["extra:mcp-json"]);
    const missing = await discoverServers(base(memoryFs({}), { config: { ...config, serversConfig: "/nope.json" } }));
    expect(missing.problems).toEqual([{ file: "/nope.json", reason: "file not found (named by MCP_SERVERS_CONFIG)" }]);
  });

  test("policy: denied servers stay listed but are never usable", async () => {
    const fs = memoryFs({ "/h/.cursor/mcp.json": '{"mcpServers": {"github": {"command": "sh"}, "github-ent": {"command": "sh"}, "memory": {"command": "sh"}}}' }, EXE);
    const r = await discoverServers(base(fs, { config: { ...config, denyServers: ["github*"] } }));
    expect(r.servers.map((s) => `${s.name}:${s.status}`)).toEqual(["github:denied", "github-ent:denied", "memory:ok"]);
    expect(usableServers(r).map((s) => s.name)).toEqual(["memory"]);
    const allowOnly = await discoverServers(base(fs, { config: { ...config, allowServers: ["memory"] } }));
    expect(usableServers(allowOnly).map((s) => s.name)).toEqual(["memory"]);
  });

  test("usableServers drops disabled, self and command-not-found entries", async () => {
    const fs = memoryFs({
      "/h/.cursor/mcp.json": JSON.stringify({ mcpServers: {
        off: { command: "sh", disabled: true }, me: { command: "bridge", args: ["serve"] }, gone: { command: "nope" }, fine: { command: "srv" },
      } }),
    }, [...EXE, "/bin/bridge"]);
    const r = await discoverServers(base(fs));
    expect(r.servers.map((s) => `${s.name}:${s.status}`)).toEqual(["off:disabled", "me:self", "gone:command-not-found", "fine:ok"]);
    expect(usableServers(r).map((s) => s.name)).toEqual(["fine"]);
  });

  test("hostile names: __proto__ is an ordinary name, control characters are rejected", async () => {
    const fs = memoryFs({ "/h/.cursor/mcp.json": '{"mcpServers": {"__proto__": {"command": "sh"}, "evil\\u001b[31m": {"command": "sh"}, "constructor": {"command": "sh"}}}' }, EXE);
    const r = await discoverServers(base(fs));
    expect(r.servers.map((s) => s.name)).toEqual(["__proto__", "constructor"]);
    expect(r.problems[0]!.reason).toContain("control characters");
    expect(({} as Record<string, unknown>).command).toBeUndefined();
  });

  test("a UTF-8 byte-order mark is accepted", async () => {
    const fs = memoryFs({ "/p/.mcp.json": '\uFEFF{"mcpServers": {"bom": {"command": "sh"}}}' }, EXE);
    expect((await discoverServers(base(fs))).servers.map((s) => s.name)).toEqual(["bom"]);
  });

  test("when cwd is home, a file is read only once", async () => {
    const fs = memoryFs({ "/h/.mcp.json": '{"mcpServers": {"a": {"command": "sh"}}}' }, EXE);
    const r = await discoverServers(base(fs, { cwd: "/h" }));
    expect(r.servers).toHaveLength(1);
    expect(new Set(r.searched.map((s) => s.file)).size).toBe(r.searched.length);
  });
});

describe("discoverServers on the fixture HOME (real files)", () => {
  const fx = copyDiscoveryFixture();
  afterAll(fx.cleanup);
  const run = (over: Partial<DiscoverOptions["config"]> = {}) => discoverServers({
    config: { ...config, ...over }, home: fx.home, cwd: fx.project, platform: "linux",
    env: { PATH: process.env.PATH, HOME: fx.home, FIXTURE_TOKEN: "tok" },
  });

  test("servers from every client format, in priority order, with the broken file reported", async () => {
    const r = await run({ denyServers: ["github*"] });
    const formats = new Set(r.servers.map((s) => s.format));
    expect([...formats].sort()).toEqual(["claude-code", "claude-desktop", "codex", "cursor", "gemini", "mcp-json", "opencode", "vscode", "windsurf", "zed"]);
    const byName = Object.fromEntries(r.servers.map((s) => [s.name, s]));
    expect(byName.shared!.args).toEqual(["from-MCPs"]);
    expect(byName.shared!.shadowed).toHaveLength(2);
    expect(byName["claude-local"]).toMatchObject({ transport: "http", headers: { Authorization: "Bearer tok" } });
    expect(byName["other-project-only"]).toBeUndefined();
    expect(byName["never-loaded"]).toBeUndefined();
    expect(byName["codex-http"]!.headers).toEqual({ Authorization: "Bearer tok" });
    expect(byName["zed-legacy"]).toMatchObject({ command: "sh", args: ["legacy"], env: { A: "1" } });
    expect(byName["vscode-settings-server"]!.args).toEqual([fx.project]);
    expect(byName["gemini-sse"]!.transport).toBe("sse");
    expect(Object.fromEntries(r.servers.filter((s) => s.status !== "ok").map((s) => [s.name, s.status]))).toEqual({
      "self-bridge": "self", "cursor-missing": "command-not-found", "github-cursor": "denied", "opencode-off": "disabled", "windsurf-disabled": "disabled",
    });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ file: `${fx.home}/MCPs/zz-broken.json`, line: 4 });
  });
});
