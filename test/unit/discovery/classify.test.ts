import { describe, expect, test } from "bun:test";
import {
  classify,
  isSelfServer,
  matchesAny,
  parsePattern,
  policyReason,
  resolveCommand,
} from "../../../src/upstream/discovery/classify.ts";
import type { ServerEntry } from "../../../src/upstream/types.ts";

const exe = (paths: string[]) => async (p: string) => paths.includes(p);

const named = (name: string, format = "cursor", scope: ServerEntry["scope"] = "user") => ({ name, format, scope });

describe("policy", () => {
  test("names and globs match", () => {
    expect(matchesAny(named("github"), ["github"])).toBe(true);
    expect(matchesAny(named("github-enterprise"), ["github*"])).toBe(true);
    expect(matchesAny(named("my-github"), ["github*"])).toBe(false);
    expect(matchesAny(named("fs"), ["f?", "x"])).toBe(true);
    expect(matchesAny(named("anything"), [])).toBe(false);
  });

  test("deny wins over allow; a non-empty allow list hides the rest", () => {
    expect(policyReason(named("github"), ["git*"], ["github"])).toContain("DENY");
    expect(policyReason(named("memory"), ["git*"], [])).toContain("ALLOW");
    expect(policyReason(named("gitlab"), ["git*"], [])).toBeUndefined();
    expect(policyReason(named("x"), [], [])).toBeUndefined();
  });

  test("glob metacharacters in names are not a way around deny", () => {
    expect(policyReason(named("[evil]"), [], ["*"])).toContain("DENY");
  });

  test("a pattern may pin the source: name@client and name@client:scope", () => {
    expect(matchesAny(named("notes", "claude-code", "user"), ["notes@claude-code:user"])).toBe(true);
    expect(matchesAny(named("notes", "claude-code", "project"), ["notes@claude-code:user"])).toBe(false);
    expect(matchesAny(named("notes", "cursor", "user"), ["notes@claude-code"])).toBe(false);
    expect(matchesAny(named("notes", "vscode-insiders", "user"), ["notes@vscode*"])).toBe(true);
    expect(parsePattern("a@b:c")).toEqual({ name: "a", client: "b", scope: "c" });
    expect(parsePattern("plain")).toEqual({ name: "plain" });
    // The reason names the definition that was refused, so the user can pin it.
    expect(policyReason(named("notes", "claude-code", "project"), ["notes@claude-code:user"], [])).toContain(
      "notes@claude-code:project",
    );
  });
});

describe("resolveCommand", () => {
  const base = { cwd: "/work/p", env: { PATH: "/usr/local/bin:/usr/bin:relative/bin" }, windows: false };

  test("a bare name is looked up on PATH, in order; relative PATH entries are ignored", async () => {
    expect(await resolveCommand("node", { ...base, isExecutable: exe(["/usr/bin/node", "/usr/local/bin/node"]) })).toBe(
      "/usr/local/bin/node",
    );
    expect(await resolveCommand("tool", { ...base, isExecutable: exe(["/work/p/relative/bin/tool"]) })).toBeUndefined();
    expect(await resolveCommand("missing", { ...base, isExecutable: exe([]) })).toBeUndefined();
  });

  test("a path must exist and be executable; a relative one is resolved against the cwd", async () => {
    expect(await resolveCommand("/opt/srv", { ...base, isExecutable: exe(["/opt/srv"]) })).toBe("/opt/srv");
    expect(await resolveCommand("./bin/srv", { ...base, isExecutable: exe(["/work/p/bin/srv"]) })).toBe(
      "/work/p/bin/srv",
    );
    expect(await resolveCommand("/opt/srv", { ...base, isExecutable: exe([]) })).toBeUndefined();
  });

  test("Windows: Path is case-insensitive and PATHEXT extensions are tried", async () => {
    const found = await resolveCommand("npx", {
      cwd: "C:\\p",
      env: { Path: "C:\\node;C:\\other", PATHEXT: ".EXE;.CMD" },
      windows: true,
      isExecutable: exe(["C:\\node\\npx.CMD"]),
    });
    expect(found).toBe("C:\\node\\npx.CMD");
  });
});

describe("isSelfServer", () => {
  test("bridge serve by any path is self; other bridge subcommands are not", () => {
    expect(isSelfServer({ command: "bridge", args: ["serve"] }, undefined, false)).toBe(true);
    expect(isSelfServer({ command: "/opt/x/bridge", args: ["serve", "--x"] }, undefined, false)).toBe(true);
    expect(isSelfServer({ command: "C:\\bin\\bridge.exe", args: ["serve"] }, undefined, true)).toBe(true);
    expect(isSelfServer({ command: "bridge", args: ["discover"] }, undefined, false)).toBe(false);
    expect(isSelfServer({ command: "bridge-github", args: ["serve"] }, undefined, false)).toBe(false);
  });

  test("this executable under another name is self; a generic runtime as execPath is not", () => {
    expect(
      isSelfServer(
        { command: "mcp", args: ["serve"], resolvedCommand: "/usr/local/bin/mybridge" },
        "/usr/local/bin/mybridge",
        false,
      ),
    ).toBe(true);
    expect(
      isSelfServer({ command: "bun", args: ["serve"], resolvedCommand: "/usr/bin/bun" }, "/usr/bin/bun", false),
    ).toBe(false);
  });
});

describe("classify", () => {
  const entry = (over: Partial<ServerEntry>): ServerEntry => ({
    name: "s",
    source: "/f.json",
    format: "cursor",
    scope: "user",
    transport: "stdio",
    command: "srv",
    args: [],
    status: "ok",
    ...over,
  });
  const opts = {
    allowSelf: false,
    cwd: "/w",
    env: { PATH: "/bin" },
    windows: false,
    isExecutable: exe(["/bin/srv", "/bin/bridge"]),
    isDirectory: async (p: string) => p === "/w/sub",
  };

  test("ok with the resolved command", async () => {
    expect(await classify(entry({}), opts)).toEqual({ status: "ok", resolvedCommand: "/bin/srv" });
  });

  test("a working directory that does not exist is its own status, checked before the command", async () => {
    expect(await classify(entry({ cwd: "/nowhere", command: "nope" }), opts)).toMatchObject({
      status: "cwd-not-found",
      reason: 'its working directory "/nowhere" does not exist',
    });
    expect((await classify(entry({ cwd: "sub" }), opts)).status).toBe("ok");
  });

  test("command not found says where it looked", async () => {
    expect(await classify(entry({ command: "nope" }), opts)).toMatchObject({
      status: "command-not-found",
      reason: 'command "nope": not found on PATH',
    });
    expect((await classify(entry({ command: "/x/nope" }), opts)).reason).toContain("no executable file");
  });

  test("a server's own PATH is where its command is looked up", async () => {
    const r = await classify(entry({ command: "tool", env: { PATH: "/custom" } }), {
      ...opts,
      isExecutable: exe(["/custom/tool"]),
    });
    expect(r.status).toBe("ok");
  });

  test("self unless MCP_BRIDGE_ALLOW_SELF_SERVER", async () => {
    expect((await classify(entry({ command: "bridge", args: ["serve"] }), opts)).status).toBe("self");
    expect((await classify(entry({ command: "bridge", args: ["serve"] }), { ...opts, allowSelf: true })).status).toBe(
      "ok",
    );
  });

  test("remote servers are ok without a command check", async () => {
    expect(await classify(entry({ transport: "http", command: undefined, url: "https://x" }), opts)).toEqual({
      status: "ok",
    });
  });
});
