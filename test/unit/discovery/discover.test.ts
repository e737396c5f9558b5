import { describe, expect, test } from "bun:test";
import {
  discoverServers,
  usableServers,
  type DiscoverOptions,
  type DiscoveryFs,
} from "../../../src/upstream/discovery/index.ts";
import { memoryFs } from "../../support/discovery-fixture.ts";

const config = {
  allowServers: [] as string[],
  denyServers: [] as string[],
  allowSelfServer: false,
  serversConfig: [] as string[],
  trustedProjects: [] as string[],
};
const base = (fs: DiscoveryFs, over: Partial<DiscoverOptions> = {}): DiscoverOptions => ({
  config,
  home: "/h",
  cwd: "/p",
  platform: "linux",
  env: { PATH: "/bin" },
  fs,
  systemDirs: { claudeManaged: "/etc/cc", geminiSystem: "/etc/gem" },
  ...over,
});
const EXE = ["/bin/sh", "/bin/srv"];
const j = (o: unknown) => JSON.stringify(o);
const statusOf = (r: Awaited<ReturnType<typeof discoverServers>>) =>
  Object.fromEntries(r.servers.map((s) => [s.name, s.status]));

describe("resolution across files and clients", () => {
  test("first usable definition of a name wins; later ones are listed as shadowed", async () => {
    const fs = memoryFs(
      {
        "/h/MCPs/b.json": j({ mcpServers: { dup: { command: "sh", args: ["MCPs-b"] } } }),
        "/h/MCPs/a.json": j({ mcpServers: { dup: { command: "sh", args: ["MCPs-a"] } } }),
        "/h/.cursor/mcp.json": j({
          mcpServers: { dup: { command: "sh", args: ["cursor"] }, only: { command: "srv" } },
        }),
      },
      EXE,
    );
    const r = await discoverServers(base(fs));
    expect(r.servers.map((s) => s.name)).toEqual(["dup", "only"]);
    expect(r.servers[0]).toMatchObject({
      args: ["MCPs-a"],
      source: "/h/MCPs/a.json",
      format: "mcp-json",
      scope: "user",
      status: "ok",
      resolvedCommand: "/bin/sh",
    });
    expect(r.servers[0]!.shadowed).toEqual(["/h/MCPs/b.json", "/h/.cursor/mcp.json"]);
    expect(r.problems).toEqual([]);
  });

  test("MCP_SERVERS_CONFIG is a list, read before every client; a missing file is reported", async () => {
    const fs = memoryFs(
      {
        "/etc/a.json": j({ servers: { extra: { command: "sh", args: ["explicit"] } } }),
        "/etc/b.toml": '[mcp_servers.tomlsrv]\ncommand = "sh"\n',
        "/h/.claude.json": j({ mcpServers: { extra: { command: "sh", args: ["claude"] } } }),
      },
      EXE,
    );
    const r = await discoverServers(base(fs, { config: { ...config, serversConfig: ["/etc/a.json", "/etc/b.toml"] } }));
    expect(r.servers.find((s) => s.name === "extra")).toMatchObject({
      args: ["explicit"],
      scope: "explicit",
      format: "mcp-json",
    });
    expect(r.servers.find((s) => s.name === "tomlsrv")?.status).toBe("ok");
    const missing = await discoverServers(base(memoryFs({}), { config: { ...config, serversConfig: ["/nope.json"] } }));
    expect(missing.problems).toEqual([{ file: "/nope.json", reason: "file not found (named by MCP_SERVERS_CONFIG)" }]);
  });

  test("a broken file is a problem with file and line; the other files still load", async () => {
    const fs = memoryFs(
      {
        "/h/.cursor/mcp.json": '{\n  "mcpServers": {\n    "a": {"command": "sh"}\n    "b": {}\n  }\n}',
        "/h/.codex/config.toml": '[mcp_servers.codex]\ncommand = "srv"\n',
      },
      EXE,
    );
    const r = await discoverServers(base(fs));
    expect(r.servers.map((s) => s.name)).toEqual(["codex"]);
    expect(r.problems).toEqual([
      { file: "/h/.cursor/mcp.json", line: 4, column: 5, reason: "not valid JSON: comma expected" },
    ]);
  });

  test("a bad entry is skipped with its position; its siblings load", async () => {
    const fs = memoryFs(
      { "/h/.cursor/mcp.json": '{"mcpServers": {\n "bad": {"command": ["x", {}]},\n "good": {"command": "sh"}}}' },
      EXE,
    );
    const r = await discoverServers(base(fs));
    expect(r.servers.map((s) => s.name)).toEqual(["good"]);
    expect(r.problems[0]).toMatchObject({ line: 2, reason: expect.stringContaining('server "bad"') });
  });

  test("a file that cannot be read is a problem, never an exception", async () => {
    const fs = memoryFs({ "/h/.cursor/mcp.json": j({ mcpServers: { a: { command: "sh" } } }) }, EXE);
    const failing: DiscoveryFs = {
      ...fs,
      readBytes: async (p, max) => {
        if (p === "/h/.codeium/windsurf/mcp_config.json") throw new Error("EACCES: permission denied");
        return fs.readBytes(p, max);
      },
    };
    const r = await discoverServers(base(failing));
    expect(r.servers.map((s) => s.name)).toEqual(["a"]);
    expect(r.problems).toEqual([
      { file: "/h/.codeium/windsurf/mcp_config.json", reason: "cannot read: EACCES: permission denied" },
    ]);
  });

  test("bridge's policy: deny and allow (optionally pinned to a source) apply to the winning definition", async () => {
    const fs = memoryFs(
      {
        "/h/.cursor/mcp.json": j({
          mcpServers: { github: { command: "sh" }, "github-ent": { command: "sh" }, memory: { command: "sh" } },
        }),
      },
      EXE,
    );
    const r = await discoverServers(base(fs, { config: { ...config, denyServers: ["github*"] } }));
    expect(statusOf(r)).toEqual({ github: "denied", "github-ent": "denied", memory: "ok" });
    const pinned = await discoverServers(
      base(fs, { config: { ...config, allowServers: ["memory@cursor:user", "github@claude-code"] } }),
    );
    expect(usableServers(pinned).map((s) => s.name)).toEqual(["memory"]);
  });

  test("statuses from bridge's own checks: disabled, self, cwd and command not found", async () => {
    const fs = memoryFs(
      {
        "/h/.kiro/settings/mcp.json": j({
          mcpServers: {
            off: { command: "sh", disabled: true },
            me: { command: "bridge", args: ["serve"] },
            gone: { command: "nope" },
            fine: { command: "srv" },
          },
        }),
        "/h/MCPs/cwd.json": j({
          mcpServers: { lost: { command: "sh", cwd: "/nowhere" }, here: { command: "sh", cwd: "/h/work" } },
        }),
      },
      [...EXE, "/bin/bridge"],
      ["/h/work"],
    );
    const r = await discoverServers(base(fs));
    expect(statusOf(r)).toEqual({
      lost: "cwd-not-found",
      here: "ok",
      off: "disabled",
      me: "self",
      gone: "command-not-found",
      fine: "ok",
    });
    expect(usableServers(r).map((s) => s.name)).toEqual(["here", "fine"]);
  });

  test("hostile names: __proto__ is an ordinary name, control characters are rejected", async () => {
    const fs = memoryFs(
      {
        "/h/.cursor/mcp.json":
          '{"mcpServers": {"__proto__": {"command": "sh"}, "evil\\u001b[31m": {"command": "sh"}, "constructor": {"command": "sh"}}}',
      },
      EXE,
    );
    const r = await discoverServers(base(fs));
    expect(r.servers.map((s) => s.name)).toEqual(["__proto__", "constructor"]);
    expect(r.problems[0]!.reason).toContain("control characters");
    expect(({} as Record<string, unknown>).command).toBeUndefined();
  });

  test("a UTF-8 byte-order mark is accepted", async () => {
    const fs = memoryFs({ "/h/.cursor/mcp.json": `\uFEFF${j({ mcpServers: { bom: { command: "sh" } } })}` }, EXE);
    expect((await discoverServers(base(fs))).servers.map((s) => s.name)).toEqual(["bom"]);
  });
});

describe("project-level files need approval, and an unapproved one never hides a user one", () => {
  const files = {
    "/p/.cursor/mcp.json": j({ mcpServers: { notes: { command: "sh", args: ["repo"] }, repo: { command: "sh" } } }),
    "/h/.cursor/mcp.json": j({ mcpServers: { notes: { command: "sh", args: ["user"] } } }),
  };

  test("pending by default, with how to approve; the user's definition of the same name is used and the conflict reported", async () => {
    const r = await discoverServers(base(memoryFs(files, EXE)));
    const notes = r.servers.find((s) => s.name === "notes")!;
    expect(notes).toMatchObject({ args: ["user"], scope: "user", status: "ok" });
    expect(notes.conflicts).toEqual([
      {
        source: "/p/.cursor/mcp.json",
        format: "cursor",
        scope: "project",
        status: "pending-approval",
        reason: expect.stringContaining("project-level"),
      },
    ]);
    const repo = r.servers.find((s) => s.name === "repo")!;
    expect(repo).toMatchObject({
      status: "pending-approval",
      approve: expect.stringContaining("MCP_BRIDGE_TRUSTED_PROJECTS"),
    });
    expect(usableServers(r).map((s) => s.name)).toEqual(["notes"]);
  });

  test("MCP_BRIDGE_TRUSTED_PROJECTS approves the directory (exactly, or below an entry ending in /**); then the project wins, as in Cursor", async () => {
    for (const trusted of [["/p"], ["/**"], ["/p/"]]) {
      const r = await discoverServers(base(memoryFs(files, EXE), { config: { ...config, trustedProjects: trusted } }));
      expect(r.servers.find((s) => s.name === "notes")).toMatchObject({
        args: ["repo"],
        scope: "project",
        status: "ok",
      });
    }
    const other = await discoverServers(
      base(memoryFs(files, EXE), { config: { ...config, trustedProjects: ["/other", "/p/sub/**"] } }),
    );
    expect(other.servers.find((s) => s.name === "repo")!.status).toBe("pending-approval");
  });

  test("an allowed name does not let a repository redefine it: the pending project definition is not used even when its name is allowed", async () => {
    const r = await discoverServers(base(memoryFs(files, EXE), { config: { ...config, allowServers: ["notes"] } }));
    expect(usableServers(r)).toEqual([
      expect.objectContaining({ name: "notes", args: ["user"], source: "/h/.cursor/mcp.json" }),
    ]);
  });

  test("bridge's own ./mcp-servers/ directory is project-level too", async () => {
    const r = await discoverServers(
      base(memoryFs({ "/p/mcp-servers/x.json": j({ mcpServers: { x: { command: "sh" } } }) }, EXE)),
    );
    expect(statusOf(r)).toEqual({ x: "pending-approval" });
  });
});

describe("Claude Code, as its CLI decides (checked against claude 2.1.330)", () => {
  const state = (project: Record<string, unknown>, user: Record<string, unknown> = {}) =>
    j({ mcpServers: user, projects: { "/p": project, "/other": { mcpServers: { elsewhere: { command: "sh" } } } } });
  const run = (files: Record<string, string>, over: Partial<DiscoverOptions> = {}) =>
    discoverServers(base(memoryFs(files, EXE), over));
  const mcpJson = (servers: Record<string, unknown>) => j({ mcpServers: servers });

  test("local > approved project > user; only this directory's local servers", async () => {
    const r = await run({
      "/h/.claude.json": state(
        { hasTrustDialogAccepted: true, mcpServers: { s: { command: "sh", args: ["local"] } } },
        {
          s: { command: "sh", args: ["user"] },
          u: { command: "sh", args: ["user"] },
          p: { command: "sh", args: ["user"] },
        },
      ),
      "/p/.mcp.json": mcpJson({ s: { command: "sh", args: ["project"] }, p: { command: "sh", args: ["project"] } }),
      "/p/.claude/settings.local.json": j({ enabledMcpjsonServers: ["s", "p"] }),
    });
    const by = Object.fromEntries(r.servers.map((s) => [s.name, s]));
    expect(by.s).toMatchObject({ args: ["local"], scope: "local", status: "ok" });
    expect(by.p).toMatchObject({ args: ["project"], scope: "project", status: "ok" });
    expect(by.u).toMatchObject({ args: ["user"], scope: "user" });
    expect(by.elsewhere).toBeUndefined();
  });

  test(".mcp.json servers are pending until approved; approval in project or local settings counts only in a trusted folder, in user settings always", async () => {
    const files = { "/p/.mcp.json": mcpJson({ a: { command: "sh" } }) };
    expect(statusOf(await run({ ...files, "/h/.claude.json": state({}) }))).toEqual({ a: "pending-approval" });
    expect(
      statusOf(
        await run({
          ...files,
          "/h/.claude.json": state({}),
          "/p/.claude/settings.local.json": j({ enabledMcpjsonServers: ["a"] }),
        }),
      ),
    ).toEqual({ a: "pending-approval" });
    expect(
      statusOf(
        await run({
          ...files,
          "/h/.claude.json": state({ hasTrustDialogAccepted: true }),
          "/p/.claude/settings.local.json": j({ enabledMcpjsonServers: ["a"] }),
        }),
      ),
    ).toEqual({ a: "ok" });
    expect(
      statusOf(
        await run({
          ...files,
          "/h/.claude.json": state({ hasTrustDialogAccepted: true }),
          "/p/.claude/settings.json": j({ enableAllProjectMcpServers: true }),
        }),
      ),
    ).toEqual({ a: "ok" });
    expect(statusOf(await run({ ...files, "/h/.claude.json": state({ enabledMcpjsonServers: ["a"] }) }))).toEqual({
      a: "pending-approval",
    });
    expect(
      statusOf(
        await run({
          ...files,
          "/h/.claude.json": state({ hasTrustDialogAccepted: true, enabledMcpjsonServers: ["a"] }),
        }),
      ),
    ).toEqual({ a: "ok" });
    expect(
      statusOf(await run({ ...files, "/h/.claude/settings.json": j({ enableAllProjectMcpServers: true }) })),
    ).toEqual({ a: "ok" });
    const pending = (await run({ ...files, "/h/.claude.json": state({}) })).servers[0]!;
    expect(pending.approve).toContain("run `claude` in /p");
  });

  test("rejected (disabledMcpjsonServers) and pending project servers never hide a user server of the same name", async () => {
    const r = await run({
      "/h/.claude.json": state(
        { hasTrustDialogAccepted: true, disabledMcpjsonServers: ["rej"] },
        { rej: { command: "sh", args: ["user"] }, pend: { command: "sh", args: ["user"] } },
      ),
      "/p/.mcp.json": mcpJson({
        rej: { command: "sh", args: ["repo"] },
        pend: { command: "sh", args: ["repo"] },
        alone: { command: "sh" },
      }),
      "/p/.claude/settings.local.json": j({ disabledMcpjsonServers: ["alone"] }),
    });
    const by = Object.fromEntries(r.servers.map((s) => [s.name, s]));
    expect(by.rej).toMatchObject({
      args: ["user"],
      status: "ok",
      conflicts: [expect.objectContaining({ status: "disabled", reason: expect.stringContaining("rejected") })],
    });
    expect(by.pend).toMatchObject({
      args: ["user"],
      status: "ok",
      conflicts: [expect.objectContaining({ status: "pending-approval" })],
    });
    expect(by.alone).toMatchObject({ status: "disabled", reason: expect.stringContaining("rejected in Claude Code") });
  });

  test("disabledMcpServers turns servers off for this directory", async () => {
    const r = await run({
      "/h/.claude.json": state({ disabledMcpServers: ["u"] }, { u: { command: "sh" }, v: { command: "sh" } }),
    });
    expect(statusOf(r)).toEqual({ u: "disabled", v: "ok" });
  });

  test(".mcp.json is read in every parent up to the root; the closest wins", async () => {
    const r = await discoverServers(
      base(
        memoryFs(
          {
            "/h/.claude/settings.json": j({ enableAllProjectMcpServers: true }),
            "/a/.mcp.json": mcpJson({ x: { command: "sh", args: ["far"] }, far: { command: "sh" } }),
            "/a/b/.mcp.json": mcpJson({ x: { command: "sh", args: ["near"] } }),
          },
          EXE,
        ),
        { cwd: "/a/b" },
      ),
    );
    expect(r.servers.find((s) => s.name === "x")).toMatchObject({ args: ["near"], source: "/a/b/.mcp.json" });
    expect(r.servers.find((s) => s.name === "far")?.source).toBe("/a/.mcp.json");
  });

  test("servers in ~/.claude/settings.json are not Claude Code servers", async () => {
    expect(
      (await run({ "/h/.claude/settings.json": j({ mcpServers: { ghost: { command: "sh" } } }) })).servers,
    ).toEqual([]);
  });

  test("WebSocket and IDE transports are valid but not usable through bridge (not a broken file); a URL needs a type", async () => {
    const r = await run({
      "/h/.claude.json": state(
        {},
        {
          ws: { type: "ws", url: "ws://127.0.0.1:9/x" },
          ide: { type: "sse-ide", url: "http://x" },
          untyped: { url: "https://x/mcp" },
          h: { type: "http", url: "https://x/mcp" },
        },
      ),
    });
    expect(statusOf(r)).toEqual({ ws: "not-usable", ide: "not-usable", h: "ok" });
    expect(r.problems).toEqual([
      expect.objectContaining({ reason: expect.stringContaining('server "untyped": has "url" but no "type"') }),
    ]);
  });

  test("${VAR} expansion the way Claude Code does it", async () => {
    const r = await run(
      {
        "/h/.claude.json": state(
          {},
          { e: { command: "sh", args: ["${HOME_DIR:-/d}", "${UNSET}"], env: { T: "${TOKEN}" } } },
        ),
      },
      { env: { PATH: "/bin", TOKEN: "tok" } },
    );
    expect(r.servers[0]).toMatchObject({ args: ["/d", "${UNSET}"], env: { T: "tok" } });
  });

  test("managed-mcp.json takes exclusive control; managed allow/deny lists filter", async () => {
    const files = {
      "/h/.claude.json": state(
        {},
        { mine: { command: "sh" }, blocked: { command: "sh" }, cmd: { command: "srv", args: ["--x"] } },
      ),
      "/etc/cc/managed-settings.json": j({
        deniedMcpServers: [{ serverName: "blocked" }],
        allowedMcpServers: [{ serverName: "mine" }, { serverName: "blocked" }, { serverCommand: ["srv", "--y"] }],
      }),
    };
    // Command entries decide for stdio servers once the list has any: "mine" (sh) matches no command entry.
    expect(statusOf(await run(files))).toEqual({ mine: "excluded", blocked: "excluded", cmd: "excluded" });
    const byName = await run({
      ...files,
      "/etc/cc/managed-settings.json": j({
        allowedMcpServers: [{ serverName: "mine" }],
        deniedMcpServers: [{ serverCommand: ["srv", "--x"] }],
      }),
    });
    expect(statusOf(byName)).toEqual({ mine: "ok", blocked: "excluded", cmd: "excluded" });
    const exclusive = await run({
      ...files,
      "/etc/cc/managed-mcp.json": mcpJson({ corp: { command: "sh" } }),
      "/etc/cc/managed-settings.json": j({}),
    });
    expect(statusOf(exclusive)).toEqual({ corp: "ok", mine: "excluded", blocked: "excluded", cmd: "excluded" });
    expect(exclusive.servers.find((s) => s.name === "mine")!.reason).toContain("exclusive control");
  });

  test("allowManagedMcpServersOnly: only the managed allow list counts; URL patterns match remote servers", async () => {
    const r = await run({
      "/h/.claude.json": state(
        {},
        {
          api: { type: "http", url: "https://mcp.corp.example/v1" },
          other: { type: "http", url: "https://evil.example/mcp" },
        },
      ),
      "/h/.claude/settings.json": j({ allowedMcpServers: [{ serverName: "other" }] }),
      "/etc/cc/managed-settings.d/10-mcp.json": j({
        allowManagedMcpServersOnly: true,
        allowedMcpServers: [{ serverUrl: "https://*.corp.example/*" }],
      }),
    });
    expect(statusOf(r)).toEqual({ api: "ok", other: "excluded" });
  });

  test("CLAUDE_CONFIG_DIR moves .claude.json and settings.json", async () => {
    const r = await run(
      {
        "/cfg/.claude.json": j({ mcpServers: { moved: { command: "sh" } } }),
        "/h/.claude.json": j({ mcpServers: { home: { command: "sh" } } }),
      },
      { env: { PATH: "/bin", CLAUDE_CONFIG_DIR: "/cfg" } },
    );
    expect(r.servers.map((s) => s.name)).toEqual(["moved"]);
  });
});

describe("other clients' rules", () => {
  test("Gemini CLI: system > workspace (trusted folder only) > user; mcp.excluded and mcp.allowed filter", async () => {
    const files = {
      "/etc/gem/settings.json": j({ mcpServers: { sys: { command: "sh", args: ["system"] } } }),
      "/h/.gemini/settings.json": j({
        mcp: { excluded: ["ex"] },
        mcpServers: {
          sys: { command: "sh", args: ["user"] },
          ex: { command: "sh" },
          u: { command: "sh", env: { K: "$TOKEN" } },
        },
      }),
      "/p/.gemini/settings.json": j({ mcpServers: { ws: { command: "sh" } } }),
    };
    const r = await discoverServers(base(memoryFs(files, EXE), { env: { PATH: "/bin", TOKEN: "t" } }));
    expect(statusOf(r)).toEqual({ sys: "ok", ws: "pending-approval", ex: "excluded", u: "ok" });
    expect(r.servers.find((s) => s.name === "sys")!.args).toEqual(["system"]);
    expect(r.servers.find((s) => s.name === "u")!.env).toEqual({ K: "t" });
    const trusted = await discoverServers(
      base(
        memoryFs(
          { ...files, "/h/.gemini/trustedFolders.json": j({ "/": "TRUST_FOLDER", "/x/p": "DO_NOT_TRUST" }) },
          EXE,
        ),
      ),
    );
    expect(statusOf(trusted).ws).toBe("ok");
    const parent = await discoverServers(
      base(memoryFs({ ...files, "/h/.gemini/trustedFolders.json": j({ "/p/child": "TRUST_PARENT" }) }, EXE)),
    );
    expect(statusOf(parent).ws).toBe("ok");
    const denied = await discoverServers(
      base(
        memoryFs({ ...files, "/h/.gemini/trustedFolders.json": j({ "/": "TRUST_FOLDER", "/p": "DO_NOT_TRUST" }) }, EXE),
      ),
    );
    expect(statusOf(denied).ws).toBe("pending-approval");
    const allowed = await discoverServers(
      base(memoryFs({ ...files, "/etc/gem/system-defaults.json": j({ mcp: { allowed: ["u"] } }) }, EXE)),
    );
    expect(statusOf(allowed)).toMatchObject({ sys: "excluded", u: "ok" });
  });

  test("Codex: env_vars forward bridge's variables; project .codex/config.toml only in a trusted project", async () => {
    const user =
      '[mcp_servers.u]\ncommand = "sh"\nenv_vars = ["FWD", "MISSING"]\nenv = { A = "1" }\n[mcp_servers.off]\ncommand = "sh"\nenabled = false\n[mcp_servers.h]\nurl = "https://x/mcp"\nbearer_token_env_var = "TOK"\n';
    const files = { "/h/.codex/config.toml": user, "/p/.codex/config.toml": '[mcp_servers.proj]\ncommand = "sh"\n' };
    const r = await discoverServers(base(memoryFs(files, EXE), { env: { PATH: "/bin", FWD: "fwd", TOK: "t" } }));
    expect(statusOf(r)).toEqual({ proj: "pending-approval", u: "ok", off: "disabled", h: "ok" });
    const u = r.servers.find((s) => s.name === "u")!;
    expect(u.env).toEqual({ A: "1", FWD: "fwd" });
    expect(u.notes).toEqual([expect.stringContaining("MISSING")]);
    expect(r.servers.find((s) => s.name === "h")!.headers).toEqual({ Authorization: "Bearer t" });
    const trusted = await discoverServers(
      base(memoryFs({ ...files, "/h/.codex/config.toml": `${user}[projects."/p"]\ntrust_level = "trusted"\n` }, EXE)),
    );
    expect(statusOf(trusted).proj).toBe("ok");
  });

  test("opencode: 1.x mcp.<name> and 2.0 mcp.servers.<name> (mcp.timeout is not a server), {env:VAR}", async () => {
    const r = await discoverServers(
      base(
        memoryFs(
          {
            "/h/.config/opencode/opencode.json": j({
              mcp: {
                one: { type: "local", command: ["sh", "-c", "x"], environment: { K: "{env:TOKEN}" } },
                timeout: 5000,
              },
            }),
            "/h/.config/opencode/opencode.jsonc":
              '// 2.0\n{"mcp": {"timeout": 3000, "servers": {"two": {"type": "remote", "url": "https://x/mcp", "enabled": false}}}}',
          },
          EXE,
        ),
        { env: { PATH: "/bin", TOKEN: "t" } },
      ),
    );
    expect(statusOf(r)).toEqual({ two: "disabled", one: "ok" });
    expect(r.servers.find((s) => s.name === "one")).toMatchObject({
      command: "sh",
      args: ["-c", "x"],
      env: { K: "t" },
    });
    expect(r.problems).toEqual([]);
  });

  test("VS Code: ${input:…} needs the editor (not usable, not an empty secret); profiles; chat.mcp.access none", async () => {
    const files = {
      "/h/.config/Code/User/mcp.json": j({
        inputs: [{ id: "key", type: "promptString", password: true }],
        servers: {
          gh: { type: "stdio", command: "sh", env: { K: "${input:key}" } },
          ok: { type: "stdio", command: "sh" },
        },
      }),
      "/h/.config/Code/User/profiles/abc/mcp.json": j({ servers: { prof: { type: "http", url: "https://x/mcp" } } }),
      "/h/.config/VSCodium/User/mcp.json": j({ servers: { codium: { type: "stdio", command: "sh" } } }),
    };
    const r = await discoverServers(base(memoryFs(files, EXE)));
    expect(statusOf(r)).toEqual({ gh: "not-usable", ok: "ok", prof: "ok", codium: "ok" });
    expect(r.servers.find((s) => s.name === "gh")!.reason).toContain("needs input in VS Code");
    expect(r.servers.find((s) => s.name === "codium")!.format).toBe("vscodium");
    const off = await discoverServers(
      base(memoryFs({ ...files, "/h/.config/Code/User/settings.json": j({ "chat.mcp.access": "none" }) }, EXE)),
    );
    expect(statusOf(off)).toMatchObject({ ok: "excluded", prof: "excluded", codium: "ok" });
  });
});

describe("per-OS locations", () => {
  test("Windows: %APPDATA% for editors and Claude Desktop, backslash paths, Claude Code's forward-slash project keys", async () => {
    const fs = memoryFs(
      {
        "C:\\Users\\u\\AppData\\Roaming\\Code\\User\\mcp.json": j({
          servers: { vs: { type: "stdio", command: "C:\\tools\\srv.exe" } },
        }),
        "C:\\Users\\u\\AppData\\Roaming\\Claude\\claude_desktop_config.json": j({
          mcpServers: { desk: { command: "C:\\tools\\srv.exe" } },
        }),
        "C:\\Users\\u\\.cursor\\mcp.json": j({ mcpServers: { cur: { command: "npx" } } }),
        "C:\\Users\\u\\.claude.json": j({ projects: { "C:/work/app": { mcpServers: { loc: { command: "npx" } } } } }),
      },
      ["C:\\tools\\srv.exe", "C:\\node\\npx.CMD"],
    );
    const r = await discoverServers({
      ...base(fs),
      home: "C:\\Users\\u",
      cwd: "C:\\work\\app",
      platform: "win32",
      env: { APPDATA: "C:\\Users\\u\\AppData\\Roaming", Path: "C:\\node", PATHEXT: ".EXE;.CMD" },
    });
    expect(statusOf(r)).toEqual({ loc: "ok", desk: "ok", cur: "ok", vs: "ok" });
    expect(r.servers.find((s) => s.name === "cur")!.resolvedCommand).toBe("C:\\node\\npx.CMD");
  });

  test("macOS: ~/Library/Application Support for Claude Desktop and VS Code", async () => {
    const fs = memoryFs(
      {
        "/Users/u/Library/Application Support/Claude/claude_desktop_config.json": j({
          mcpServers: { desk: { command: "sh" } },
        }),
        "/Users/u/Library/Application Support/Code/User/mcp.json": j({
          servers: { vs: { type: "stdio", command: "sh" } },
        }),
      },
      EXE,
    );
    const r = await discoverServers({ ...base(fs), home: "/Users/u", platform: "darwin" });
    expect(statusOf(r)).toEqual({ desk: "ok", vs: "ok" });
  });
});

test("hostile YAML: an alias bomb is a problem, not a hang; __proto__ stays an ordinary key", async () => {
  let bomb = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n';
  let prev = "a";
  for (let i = 1; i < 9; i++) {
    bomb += `b${i}: &b${i} [${Array(10).fill(`*${prev}`).join(",")}]\n`;
    prev = `b${i}`;
  }
  const r = await discoverServers(
    base(
      memoryFs(
        {
          "/h/.config/goose/config.yaml": bomb,
          "/h/.continue/config.yaml": "__proto__:\n  polluted: true\nmcpServers:\n  - name: ok\n    command: sh\n",
        },
        EXE,
      ),
    ),
  );
  expect(r.problems).toEqual([
    { file: "/h/.config/goose/config.yaml", reason: expect.stringContaining("not valid YAML") },
  ]);
  expect(statusOf(r)).toEqual({ ok: "ok" });
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});
