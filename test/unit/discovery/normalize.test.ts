import { describe, expect, test } from "bun:test";
import * as D from "../../../src/upstream/discovery/dialects.ts";
import type { ExpandContext } from "../../../src/upstream/discovery/expand.ts";
import {
  EntryError,
  nameProblem,
  normalizeServer,
  parseDotenv,
  type Dialect,
} from "../../../src/upstream/discovery/normalize.ts";

const DIALECTS: Record<string, Dialect> = {
  "claude-code": D.CLAUDE,
  cursor: D.CURSOR,
  opencode: D.OPENCODE,
  "opencode-legacy": D.OPENCODE_LEGACY,
  zed: D.ZED,
  windsurf: D.WINDSURF,
  gemini: D.GEMINI,
  generic: D.GENERIC,
  warp: D.WARP,
  vscode: D.VSCODE,
};
const ctx = (dialect: Dialect, env: Record<string, string> = {}): ExpandContext => ({
  env,
  home: "/home/u",
  cwd: "/work/p",
  windows: false,
  syntax: dialect.syntax,
  notes: [],
});
const norm = (value: unknown, format = "generic", env: Record<string, string> = {}, io = {}) =>
  normalizeServer(value, DIALECTS[format]!, ctx(DIALECTS[format]!, env), io);
const fails = (value: unknown, format = "generic") => {
  try {
    normalizeServer(value, DIALECTS[format]!, ctx(DIALECTS[format]!));
  } catch (err) {
    expect(err).toBeInstanceOf(EntryError);
    return err as EntryError;
  }
  throw new Error("expected an EntryError");
};

describe("stdio servers", () => {
  test("command, args, env, cwd, with expansion", () => {
    expect(
      norm(
        { command: "~/bin/srv", args: ["--key", "${K}", 3], env: { K: "${K}", N: 1 }, cwd: "${workspaceFolder}/sub" },
        "generic",
        { K: "v" },
      ),
    ).toEqual({
      transport: "stdio",
      command: "/home/u/bin/srv",
      args: ["--key", "v", "3"],
      env: { K: "v", N: "1" },
      cwd: "/work/p/sub",
      disabled: false,
      notes: undefined,
    });
  });

  test("opencode local: command array and `environment`", () => {
    const s = norm({ type: "local", command: ["npx", "-y", "pkg"], environment: { A: "1" } }, "opencode");
    expect(s).toMatchObject({ transport: "stdio", command: "npx", args: ["-y", "pkg"], env: { A: "1" } });
  });

  test("old opencode: env as a KEY=VALUE list", () => {
    expect(norm({ type: "stdio", command: "x", env: ["A=1", "B=x=y"] }, "opencode-legacy").env).toEqual({
      A: "1",
      B: "x=y",
    });
    expect(fails({ command: "x", env: ["novalue"] }).message).toContain("KEY=VALUE");
  });

  test("Zed: command as an object with path/args/env, or as a string", () => {
    expect(norm({ command: { path: "zsrv", args: ["a"], env: { Z: "1" } } }, "zed")).toMatchObject({
      command: "zsrv",
      args: ["a"],
      env: { Z: "1" },
    });
    expect(norm({ source: "custom", command: "zsrv", args: ["b"] }, "zed")).toMatchObject({
      command: "zsrv",
      args: ["b"],
    });
  });

  test("disabled: true and enabled: false both disable", () => {
    expect(norm({ command: "x", disabled: true }).disabled).toBe(true);
    expect(norm({ command: "x", enabled: false }).disabled).toBe(true);
    expect(norm({ command: "x", enabled: true }).disabled).toBe(false);
  });

  test("envFile (VS Code, Cursor) is read; values in env win over it; an unreadable one is a note", () => {
    const io = {
      readEnvFile: (p: string) =>
        p === "/work/p/.env" ? "# c\nexport A=from-file\nB='quoted # not a comment'\nC=x # comment\n" : undefined,
    };
    expect(
      norm({ command: "x", envFile: "${workspaceFolder}/.env", env: { A: "from-env" } }, "vscode", {}, io).env,
    ).toEqual({ A: "from-env", B: "quoted # not a comment", C: "x" });
    expect(norm({ command: "x", envFile: "/missing.env" }, "cursor", {}, io).notes).toEqual([
      "envFile /missing.env could not be read; its variables are missing",
    ]);
    // Clients without envFile ignore the key.
    expect(norm({ command: "x", envFile: "/work/p/.env" }, "claude-code", {}, io).env).toBeUndefined();
  });

  test("cwd only where the client has it (Claude Code has none; Warp calls it working_directory)", () => {
    expect(norm({ command: "x", cwd: "/w" }, "claude-code").cwd).toBeUndefined();
    expect(norm({ command: "x", working_directory: "/w" }, "warp").cwd).toBe("/w");
  });

  test("unset variables are notes on the entry", () => {
    expect(norm({ command: "x", args: ["${NOPE}"] }).notes).toEqual([
      "environment variable NOPE is not set; ${NOPE} was left empty",
    ]);
  });
});

describe("remote servers", () => {
  test("url with type http / streamable-http / sse", () => {
    expect(
      norm({ type: "http", url: "https://h/mcp", headers: { Authorization: "Bearer ${T}" } }, "claude-code", {
        T: "t",
      }),
    ).toEqual({
      transport: "http",
      url: "https://h/mcp",
      headers: { Authorization: "Bearer t" },
      disabled: false,
      notes: undefined,
    });
    expect(norm({ type: "streamable-http", url: "https://h/mcp" }).transport).toBe("http");
    expect(norm({ type: "sse", url: "https://h/mcp" }).transport).toBe("sse");
  });

  test("url without type: SSE when the path ends in /sse, else streamable HTTP", () => {
    expect(norm({ url: "http://h/sse" }, "cursor").transport).toBe("sse");
    expect(norm({ url: "http://h/mcp" }, "cursor").transport).toBe("http");
  });

  test("Windsurf serverUrl; Gemini url is SSE and httpUrl is streamable HTTP", () => {
    expect(norm({ serverUrl: "https://w/mcp" }, "windsurf")).toMatchObject({ transport: "http", url: "https://w/mcp" });
    expect(norm({ url: "https://g/events" }, "gemini").transport).toBe("sse");
    expect(norm({ httpUrl: "https://g/mcp" }, "gemini").transport).toBe("http");
  });

  test("opencode remote", () => {
    expect(
      norm({ type: "remote", url: "https://o/mcp", headers: { K: "v" }, enabled: false }, "opencode"),
    ).toMatchObject({ transport: "http", headers: { K: "v" }, disabled: true });
  });

  test("ws / WebSocket URLs are valid entries bridge cannot use (not errors)", () => {
    expect(norm({ type: "ws", url: "ws://h/x" }, "claude-code").notUsable).toContain('"ws" transport');
    expect(norm({ url: "wss://h/x" }, "cursor").notUsable).toContain("WebSocket");
  });
});

describe("invalid entries", () => {
  test.each([
    [["a"], "must be an object"],
    [null, "must be an object"],
    [{}, 'neither "command" nor "url"'],
    [{ command: "" }, '"command" is empty'],
    [{ command: 5 }, '"command" must be a string'],
    [{ command: [] }, "empty array"],
    [{ command: "x", args: "a b" }, '"args" must be an array'],
    [{ command: "x", args: [{}] }, '"args[0]" must be a string'],
    [{ command: "x", env: { A: {} } }, '"env.A" must be a string'],
    [{ command: "x", type: "carrier-pigeon" }, 'unknown "type"'],
    [{ type: "http", command: "x" }, 'no "url"'],
    [{ url: "not a url" }, "not a valid URL"],
    [{ url: "file:///etc/passwd" }, "must be an http(s) URL"],
    [{ url: "javascript:alert(1)" }, "must be an http(s) URL"],
  ])("%j → %s", (value, message) => {
    expect(fails(value).message).toContain(message);
  });

  test("the error names the offending field, for its position", () => {
    expect(fails({ command: "x", args: "a" }).field).toBe("args");
  });
});

test("parseDotenv: KEY=VALUE lines, export, quotes, comments", () => {
  expect(parseDotenv("A=1\nexport B=\"two words\"\n# skip\nbad line\nC='x'\n")).toEqual({
    A: "1",
    B: "two words",
    C: "x",
  });
});

describe("nameProblem", () => {
  test("rejects empty, overlong and control-character names", () => {
    expect(nameProblem("github")).toBeUndefined();
    expect(nameProblem("__proto__")).toBeUndefined();
    expect(nameProblem(" ")).toContain("empty");
    expect(nameProblem("x".repeat(200))).toContain("at most");
    expect(nameProblem("evil\u001b[2J")).toContain("control characters");
    expect(nameProblem("a\nb")).toContain("control characters");
  });
});
