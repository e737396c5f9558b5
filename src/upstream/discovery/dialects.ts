/**
 * How each client writes a server entry (keys, variable syntax, transport of a bare `url`), from
 * the client's own documentation; the source of each fact is in docs/discovery.md and beside the
 * fixtures in test/fixtures/clients/.
 */
import type { Dialect } from "./normalize.ts";

/** bridge's own generic format (~/MCPs, MCP_SERVERS_CONFIG): the common subset, generously. */
export const GENERIC: Dialect = {
  syntax: { braces: true, defaults: true, envPrefix: true, editorVars: true, tilde: true },
  cwdKey: "cwd",
  urlKeys: ["url", "serverUrl", "httpUrl"],
  urlTransport: "guess",
  urlKeyTransport: { httpUrl: "http" },
  headerKeys: ["headers", "http_headers"],
  envKeys: ["env", "environment"],
};

/**
 * Claude Code: `${VAR}` / `${VAR:-default}` in command, args, env, url, headers (an unset variable
 * stays as written; the default applies only when unset); no cwd; a URL needs `type`.
 */
export const CLAUDE: Dialect = {
  syntax: { braces: true, defaults: true, claudeRules: true },
  urlKeys: ["url"],
  urlTransport: "guess",
  urlNeedsType: true,
  types: { "sse-ide": "not-usable", "ws-ide": "not-usable", "claudeai-proxy": "not-usable", sdk: "not-usable" },
};

/** Claude Desktop's file is read as written (no interpolation). */
export const CLAUDE_DESKTOP: Dialect = { syntax: {}, urlKeys: ["url"], urlTransport: "guess" };

/** Cursor (and LM Studio, which follows Cursor's notation): `${env:NAME}`, `${userHome}`, `${workspaceFolder}` …, `envFile`. */
export const CURSOR: Dialect = {
  syntax: { envPrefix: true, editorVars: true },
  urlKeys: ["url"],
  urlTransport: "guess",
  envFile: true,
};

/** VS Code `mcp.json`: `type` is stdio | http | sse; `${input:…}`, `${env:…}`, predefined variables; `envFile`; `cwd`. */
export const VSCODE: Dialect = {
  syntax: { envPrefix: true, editorVars: true, inputs: true },
  cwdKey: "cwd",
  urlKeys: ["url"],
  urlTransport: "guess",
  envFile: true,
};

/** Windsurf: `serverUrl` (or `url`), `${env:VAR}`, `${file:/path}`. */
export const WINDSURF: Dialect = {
  syntax: { envPrefix: true, fileRefs: true },
  urlKeys: ["serverUrl", "url"],
  urlTransport: "guess",
};

/** Gemini CLI: `url` is SSE, `httpUrl` streamable HTTP (or `type`); `$VAR` / `${VAR}` (and `%VAR%` on Windows); `cwd`. */
export const GEMINI: Dialect = {
  syntax: { braces: true, dollar: true, percent: true },
  cwdKey: "cwd",
  urlKeys: ["httpUrl", "url"],
  urlTransport: "sse",
  urlKeyTransport: { httpUrl: "http" },
};

/** Codex: TOML, no interpolation; `url` is streamable HTTP; headers in `http_headers`. */
export const CODEX: Dialect = {
  syntax: {},
  cwdKey: "cwd",
  urlKeys: ["url"],
  urlTransport: "http",
  headerKeys: ["http_headers"],
};

/** opencode: `type` local | remote, command as an array, `environment`, `{env:VAR}` / `{file:path}`. */
export const OPENCODE: Dialect = {
  syntax: { opencode: true },
  urlKeys: ["url"],
  urlTransport: "http",
  envKeys: ["environment"],
  types: { local: "stdio", remote: "http" },
};

/** The old Go opencode (`~/.opencode.json`): `mcpServers`, `type` stdio | sse, env as a list of KEY=VALUE. */
export const OPENCODE_LEGACY: Dialect = { syntax: {}, urlKeys: ["url"], urlTransport: "sse" };

/** Zed `context_servers`: command as a string (+ args, env) or an object {path, args, env}; `url` + `headers`. */
export const ZED: Dialect = { syntax: {}, urlKeys: ["url"], urlTransport: "http" };

/** Cline (extension and CLI): `type` stdio | sse | streamableHttp, no interpolation. */
export const CLINE: Dialect = { syntax: {}, urlKeys: ["url"], urlTransport: "sse" };

/** Roo Code: `${env:VAR}`, `cwd`, `type` stdio | sse | streamable-http. */
export const ROO: Dialect = { syntax: { envPrefix: true }, cwdKey: "cwd", urlKeys: ["url"], urlTransport: "sse" };

/** Kiro: `${VAR}` in values. */
export const KIRO: Dialect = { syntax: { braces: true }, urlKeys: ["url"], urlTransport: "http" };

/** Amazon Q Developer (legacy mcp.json and agent files): `type` stdio | http. */
export const AMAZON_Q: Dialect = { syntax: {}, urlKeys: ["url"], urlTransport: "http" };

/** GitHub Copilot CLI: `type` local | stdio | http | sse. */
export const COPILOT: Dialect = { syntax: {}, cwdKey: "cwd", urlKeys: ["url"], urlTransport: "http" };

/** JetBrains Junie: Cursor-like, stdio (`workingDirectory`). */
export const JUNIE: Dialect = { syntax: {}, cwdKey: "workingDirectory", urlKeys: ["url"], urlTransport: "http" };

/** Warp: `working_directory`, `url` or `serverUrl`. */
export const WARP: Dialect = {
  syntax: {},
  cwdKey: "working_directory",
  urlKeys: ["url", "serverUrl"],
  urlTransport: "guess",
};

/** Continue: YAML blocks with `name`, `type` stdio | sse | streamable-http, `cwd`, `${{ secrets.NAME }}`. */
export const CONTINUE: Dialect = {
  syntax: { continueSecrets: true },
  cwdKey: "cwd",
  urlKeys: ["url"],
  urlTransport: "sse",
  headerKeys: ["headers"],
};

/** goose extensions: `cmd`, `args`, `envs`, `uri`, `type` stdio | sse | streamable_http | builtin …, `enabled`. */
export const GOOSE: Dialect = {
  syntax: {},
  cwdKey: "cwd",
  urlKeys: ["uri", "url"],
  urlTransport: "sse",
  envKeys: ["envs"],
  headerKeys: ["headers"],
  types: { builtin: "not-usable", platform: "not-usable", frontend: "not-usable", inline_python: "not-usable" },
};
