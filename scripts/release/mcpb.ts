/**
 * MCP Bundles (`.mcpb`, what Claude Desktop installs in one click): one per platform, a manifest
 * (spec 0.3, github.com/modelcontextprotocol/mcpb MANIFEST.md) with a `binary` server and the common
 * settings as `user_config`, validated and packed by the official `mcpb` CLI (@anthropic-ai/mcpb).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SETTINGS } from "../../src/config/schema.ts";
import { HOMEPAGE } from "./homebrew.ts";

export const MANIFEST_VERSION = "0.3";
export const MCPB_CLI = resolve(import.meta.dir, "../../node_modules/.bin/mcpb");
export const DESCRIPTION = "Safe local execution: sandboxed Python, with your other MCP servers callable from code";

type SettingKey = keyof typeof SETTINGS;

/**
 * The settings a user sets when installing a bundle (user_config) or from a registry entry
 * (environmentVariables). Each always has a value: an empty optional field must not reach
 * bridge as an invalid setting.
 */
export const USER_SETTINGS: Array<{
  key: string;
  setting: SettingKey;
  title: string;
  type: "string" | "directory";
  default?: string;
}> = [
  { key: "image", setting: "image", title: "Sandbox image", type: "string" },
  { key: "engine", setting: "engine", title: "Container engine (auto, podman or docker)", type: "string" },
  { key: "memory", setting: "memory", title: "Memory per sandbox", type: "string" },
  { key: "timeout", setting: "timeout", title: "Default run_python timeout", type: "string" },
  {
    key: "allow_servers",
    setting: "allowServers",
    title: "Only these MCP servers (comma-separated names or globs; empty: all)",
    type: "string",
    default: "",
  },
  {
    key: "deny_servers",
    setting: "denyServers",
    title: "Never these MCP servers (comma-separated names or globs)",
    type: "string",
    default: "",
  },
  {
    key: "bridge_root",
    setting: "root",
    title: "bridge's home (queue, token, scripts)",
    type: "directory",
    default: "${HOME}/.bridge",
  },
  {
    key: "data_folder",
    setting: "folders",
    title: "A folder Python may read, at /data/<name> (empty: none)",
    type: "directory",
    default: "",
  },
  {
    key: "output_folder",
    setting: "outputFolder",
    title: "Where files Python writes to /output are saved (empty: returned only)",
    type: "directory",
    default: "",
  },
];

/** A setting's default as the string an environment variable would carry. */
export function settingDefault(s: (typeof USER_SETTINGS)[number]): string {
  if (s.default !== undefined) return s.default;
  const d = SETTINGS[s.setting].default;
  return Array.isArray(d) ? d.join(",") : String(d);
}

export interface Tool {
  name: string;
  description?: string;
}

/** The manifest for one platform's bundle (`windows-x64` gets `bridge.exe`). */
export function renderManifest(opts: { platform: string; version: string; tools: Tool[] }): Record<string, unknown> {
  const exe = `server/bridge${opts.platform.startsWith("windows") ? ".exe" : ""}`;
  const os = opts.platform.split("-")[0]!;
  return {
    manifest_version: MANIFEST_VERSION,
    name: "bridge",
    display_name: "bridge",
    version: opts.version,
    description: DESCRIPTION,
    long_description: [
      "`run_python` runs the model's Python in a hardened, network-less podman or docker container.",
      "Your other MCP servers (found in your clients' configs) are callable from that Python, so the",
      "model's context stays small. `escalate_to_claude` and `run_script` hand work to Claude Code and",
      "whitelisted scripts through `bridge worker`. Needs podman or docker on this machine.",
    ].join(" "),
    author: { name: "The bridge authors", url: HOMEPAGE },
    repository: { type: "git", url: `${HOMEPAGE}.git` },
    homepage: HOMEPAGE,
    documentation: `${HOMEPAGE}#readme`,
    support: `${HOMEPAGE}/issues`,
    license: "MIT",
    keywords: ["sandbox", "python", "code-execution", "mcp-proxy", "claude-code", "podman", "docker"],
    server: {
      type: "binary",
      entry_point: exe,
      mcp_config: {
        command: `\${__dirname}/${exe}`,
        args: ["serve"],
        env: Object.fromEntries(USER_SETTINGS.map((s) => [SETTINGS[s.setting].env, `\${user_config.${s.key}}`])),
      },
    },
    tools: opts.tools.map((t) => ({ name: t.name, description: firstSentence(t.description ?? "") })),
    tools_generated: false,
    compatibility: { platforms: [os === "windows" ? "win32" : os] },
    user_config: Object.fromEntries(
      USER_SETTINGS.map((s) => [
        s.key,
        {
          type: s.type,
          title: s.title,
          description: `${SETTINGS[s.setting].help} (${SETTINGS[s.setting].env})`,
          required: false,
          default: settingDefault(s),
        },
      ]),
    ),
  };
}

function firstSentence(text: string): string {
  const m = /^(.+?[.!?])(\s|$)/s.exec(text.trim());
  return (m ? m[1]! : text.trim()).replace(/\s+/g, " ");
}

/** Runs the `mcpb` CLI; throws with its output when it fails. */
export function mcpb(args: string[]): string {
  const r = Bun.spawnSync([MCPB_CLI, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const out = r.stdout.toString() + r.stderr.toString();
  if (r.exitCode !== 0) throw new Error(`mcpb ${args[0]} failed (exit ${r.exitCode}):\n${out}`);
  return out;
}

/** Validates `dir/manifest.json` and packs `dir` into `out` with the official CLI. */
export function packBundle(dir: string, out: string): void {
  mcpb(["validate", join(dir, "manifest.json")]);
  mcpb(["pack", dir, out]);
}

/** The tools a bridge binary (or `bun src/main.ts`) serves, asked over MCP with a throwaway home. */
export async function servedTools(argv: string[]): Promise<Tool[]> {
  const home = mkdtempSync(join(tmpdir(), "bridge-tools-"));
  const [command, ...args] = argv;
  const transport = new StdioClientTransport({
    command: command!,
    args: [...args, "serve"],
    stderr: "ignore",
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      BRIDGE_ROOT: home,
      MCP_BRIDGE_POOL_SIZE: "0",
      MCP_BRIDGE_LOG_LEVEL: "error",
    },
  });
  const client = new Client({ name: "bridge-release", version: "1" });
  try {
    await client.connect(transport);
    return (await client.listTools()).tools.map((t) => ({ name: t.name, description: t.description }));
  } finally {
    await client.close().catch(() => {});
    rmSync(home, { recursive: true, force: true });
  }
}
