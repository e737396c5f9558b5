/**
 * The config files bridge reads, in priority order (the first definition of a server name wins),
 * for the given home, working directory and OS. Paths only: nothing here touches the disk.
 */
import { posix, win32 } from "node:path";
import type { ConfigSyntax } from "./parse-file.ts";
import type { Shape } from "./shapes.ts";

/** One place servers may be defined. */
export interface ConfigSource {
  /** A file, or with `directory` a folder whose *.json files are read in name order. */
  path: string;
  directory?: boolean;
  /** The client whose format this is, shown by `bridge discover`. */
  format: string;
  shape: Shape;
  syntax: ConfigSyntax;
  /** A general settings file: having no MCP section is normal there, not a problem. */
  settingsFile: boolean;
  /** Named explicitly by the user (MCP_SERVERS_CONFIG): a missing file is a problem. */
  required?: boolean;
}

export interface SourceInputs {
  home: string;
  cwd: string;
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  /** config.serversConfig (MCP_SERVERS_CONFIG). */
  serversConfig?: string;
}

/** Every config source, highest priority first. */
export function configSources({ home, cwd, platform, env, serversConfig }: SourceInputs): ConfigSource[] {
  const windows = platform === "win32";
  const p = windows ? win32 : posix;
  const h = (...parts: string[]) => p.join(home, ...parts);
  const c = (...parts: string[]) => p.join(cwd, ...parts);
  // XDG_CONFIG_HOME only when absolute, as the XDG spec says.
  const xdg = !windows && env.XDG_CONFIG_HOME && p.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : h(".config");
  const appData = windows ? env.APPDATA || h("AppData", "Roaming") : undefined;
  const appSupport = h("Library", "Application Support");
  const perOs = (name: string) => (windows ? p.join(appData!, name) : platform === "darwin" ? p.join(appSupport, name) : p.join(xdg, name));
  const codexHome = env.CODEX_HOME && p.isAbsolute(env.CODEX_HOME) ? env.CODEX_HOME : h(".codex");
  const zedDir = windows ? p.join(appData!, "Zed") : platform === "darwin" ? h(".config", "zed") : p.join(xdg, "zed");

  const json = (path: string, format: string, shape: Shape, settingsFile: boolean): ConfigSource => ({ path, format, shape, syntax: "json", settingsFile });
  const dir = (path: string): ConfigSource => ({ path, directory: true, format: "mcp-json", shape: "auto", syntax: "json", settingsFile: false });

  const sources: ConfigSource[] = [
    dir(h("MCPs")),
    dir(p.join(xdg, "mcp", "servers")),
    dir(c("mcp-servers")),
    json(c(".vscode", "mcp.json"), "vscode", "vscode-mcp", false),
    json(c(".mcp.json"), "claude-code", "mcpServers", false),
    json(h(".claude.json"), "claude-code", "claude-json", true),
    json(h(".cursor", "mcp.json"), "cursor", "mcpServers", false),
    json(h(".opencode.json"), "opencode", "mcpServers", true),
    json(p.join(xdg, "opencode", "opencode.json"), "opencode", "opencode", true),
    json(p.join(xdg, "opencode", "opencode.jsonc"), "opencode", "opencode", true),
    json(c("opencode.json"), "opencode", "opencode", true),
    json(c("opencode.jsonc"), "opencode", "opencode", true),
    json(h(".codeium", "windsurf", "mcp_config.json"), "windsurf", "mcpServers", false),
    json(p.join(perOs("Claude"), "claude_desktop_config.json"), "claude-desktop", "mcpServers", true),
    json(h(".claude", "settings.json"), "claude-code", "mcpServers", true),
    json(h(".claude", ".mcp.json"), "claude-code", "mcpServers", false),
    json(p.join(perOs("Code"), "User", "settings.json"), "vscode", "vscode-settings", true),
    json(p.join(perOs("Code"), "User", "mcp.json"), "vscode", "vscode-mcp", false),
    json(h(".gemini", "settings.json"), "gemini", "mcpServers", true),
    { path: p.join(codexHome, "config.toml"), format: "codex", shape: "codex", syntax: "toml", settingsFile: true },
    json(p.join(zedDir, "settings.json"), "zed", "zed", true),
  ];
  if (serversConfig) {
    const path = p.resolve(cwd, serversConfig.startsWith("~") ? h(serversConfig.slice(1)) : serversConfig);
    sources.push({ path, format: "mcp-json", shape: "auto", syntax: /\.toml$/i.test(path) ? "toml" : "json", settingsFile: false, required: true });
  }
  return sources;
}
