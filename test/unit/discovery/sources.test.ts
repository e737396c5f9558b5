import { describe, expect, test } from "bun:test";
import { configSources } from "../../../src/upstream/discovery/sources.ts";

const paths = (platform: NodeJS.Platform, env: Record<string, string> = {}, serversConfig?: string, home = "/h", cwd = "/p") =>
  configSources({ home, cwd, platform, env, serversConfig }).map((s) => s.path);

describe("configSources", () => {
  test("Linux: the documented priority order", () => {
    expect(paths("linux")).toEqual([
      "/h/MCPs", "/h/.config/mcp/servers", "/p/mcp-servers", "/p/.vscode/mcp.json", "/p/.mcp.json", "/h/.claude.json",
      "/h/.cursor/mcp.json", "/h/.opencode.json", "/h/.config/opencode/opencode.json", "/h/.config/opencode/opencode.jsonc",
      "/p/opencode.json", "/p/opencode.jsonc", "/h/.codeium/windsurf/mcp_config.json", "/h/.config/Claude/claude_desktop_config.json",
      "/h/.claude/settings.json", "/h/.claude/.mcp.json", "/h/.config/Code/User/settings.json", "/h/.config/Code/User/mcp.json",
      "/h/.gemini/settings.json", "/h/.codex/config.toml", "/h/.config/zed/settings.json",
    ]);
  });

  test("macOS: Claude Desktop and VS Code under Application Support; Zed under ~/.config", () => {
    const p = paths("darwin");
    expect(p).toContain("/h/Library/Application Support/Claude/claude_desktop_config.json");
    expect(p).toContain("/h/Library/Application Support/Code/User/mcp.json");
    expect(p).toContain("/h/.config/zed/settings.json");
  });

  test("Windows: %APPDATA% for Claude, Code and Zed", () => {
    const p = paths("win32", { APPDATA: "C:\\Users\\me\\AppData\\Roaming" }, undefined, "C:\\Users\\me", "C:\\proj");
    expect(p).toContain("C:\\Users\\me\\AppData\\Roaming\\Claude\\claude_desktop_config.json");
    expect(p).toContain("C:\\Users\\me\\AppData\\Roaming\\Code\\User\\settings.json");
    expect(p).toContain("C:\\Users\\me\\AppData\\Roaming\\Zed\\settings.json");
    expect(p).toContain("C:\\proj\\.mcp.json");
    expect(paths("win32", {}, undefined, "C:\\Users\\me")).toContain("C:\\Users\\me\\AppData\\Roaming\\Claude\\claude_desktop_config.json");
  });

  test("XDG_CONFIG_HOME and CODEX_HOME are honoured when absolute", () => {
    const p = paths("linux", { XDG_CONFIG_HOME: "/x", CODEX_HOME: "/c" });
    expect(p).toContain("/x/Claude/claude_desktop_config.json");
    expect(p).toContain("/x/zed/settings.json");
    expect(p).toContain("/c/config.toml");
    expect(paths("linux", { XDG_CONFIG_HOME: "rel" })).toContain("/h/.config/zed/settings.json");
  });

  test("MCP_SERVERS_CONFIG comes last, resolved against the cwd, and is required", () => {
    const sources = configSources({ home: "/h", cwd: "/p", platform: "linux", env: {}, serversConfig: "conf/servers.toml" });
    expect(sources.at(-1)).toMatchObject({ path: "/p/conf/servers.toml", syntax: "toml", required: true, shape: "auto" });
    expect(paths("linux", {}, "~/s.json").at(-1)).toBe("/h/s.json");
  });
});
