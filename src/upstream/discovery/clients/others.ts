/**
 * Zed, Continue and goose.
 * - Zed: `context_servers` in the user `settings.json` and a worktree's `.zed/settings.json` (which
 *   Zed runs only once the worktree is trusted; Zed keeps that decision in its own database, so
 *   bridge waits for MCP_BRIDGE_TRUSTED_PROJECTS). `source: "extension"` servers come from a Zed
 *   extension bridge cannot run.
 * - Continue: `mcpServers` (a list of `{name, …}`) in `~/.continue/config.yaml`, the older
 *   `~/.continue/config.json` (`experimental.modelContextProtocolServers`), and block files
 *   (YAML, or JSON in any client's `mcpServers` format) in the workspace's `.continue/mcpServers/`.
 *   `${{ secrets.NAME }}` comes from `~/.continue/.env`.
 * - goose: `extensions` in `~/.config/goose/config.yaml` (`%APPDATA%\Block\goose\config\config.yaml`).
 */
import type { Candidate, ClientReader, ReadContext, ReadFile } from "../context.ts";
import { CONTINUE, CURSOR, GOOSE, ZED } from "../dialects.ts";
import { isObject, parseDotenv } from "../normalize.ts";
import { readText } from "../fs.ts";

const pending = (ctx: ReadContext, client: string, dir: string, why: string): Candidate["state"] => ({
  status: "pending-approval",
  reason: `project-level ${client} server; ${why}`,
  approve: ctx.bridgeApproveHint(dir),
});

export const zedReader: ClientReader = {
  id: "zed",
  async read(ctx) {
    const zedDir = ctx.windows
      ? ctx.p.join(ctx.appData, "Zed")
      : ctx.inputs.platform === "darwin"
        ? ctx.h(".config", "zed")
        : ctx.p.join(ctx.xdgConfig, "zed");
    const out: Candidate[] = [];
    for (const { file, scope } of [
      { file: ctx.c(".zed", "settings.json"), scope: "project" as const },
      { file: ctx.p.join(zedDir, "settings.json"), scope: "user" as const },
    ]) {
      const read = await ctx.read(file, "json");
      if (!isObject(read.doc) || !isObject(read.doc.context_servers)) continue;
      const trusted = scope === "user" || ctx.bridgeTrusts(ctx.cwd);
      for (const [name, value] of Object.entries(read.doc.context_servers)) {
        if (isObject(value) && value.source === "extension") {
          out.push({
            name,
            format: "zed",
            scope,
            source: file,
            server: { transport: "stdio", disabled: value.enabled === false },
            state: { status: "not-usable", reason: "provided by a Zed extension, which only Zed can start" },
          });
          continue;
        }
        const c = ctx.entry(
          name,
          value,
          { file, read, keyPath: ["context_servers"] },
          { format: "zed", scope, dialect: ZED, allowFiles: trusted },
        );
        if (!c) continue;
        if (!trusted) c.state = pending(ctx, "Zed", ctx.cwd, "Zed keeps worktree trust in its own database");
        out.push(c);
      }
    }
    return out;
  },
};

/** Continue's list form: `[{name, …}]` → a map by name (entries without a name are problems). */
function listToMap(ctx: ReadContext, file: string, list: unknown, key: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(list)) {
    if (list !== undefined) ctx.problems.push({ file, reason: `"${key}" must be a list of servers` });
    return out;
  }
  list.forEach((item, i) => {
    const name = isObject(item)
      ? typeof item.name === "string"
        ? item.name
        : isObject(item.transport)
          ? `server-${i + 1}`
          : undefined
      : undefined;
    if (!name) {
      ctx.problems.push({ file, reason: `${key}[${i}] has no "name"; entry skipped` });
      return;
    }
    // Old JSON configs nest the server under `transport`; headers may sit under `requestOptions`.
    const value = isObject(item) && isObject(item.transport) ? { ...item.transport } : item;
    const ro =
      isObject(item) && isObject(item.requestOptions) && isObject(item.requestOptions.headers)
        ? item.requestOptions.headers
        : undefined;
    out[name] =
      ro && isObject(value)
        ? { ...value, headers: { ...ro, ...(isObject(value.headers) ? value.headers : {}) } }
        : value;
  });
  return out;
}

export const continueReader: ClientReader = {
  id: "continue",
  async read(ctx) {
    const home = ctx.h(".continue");
    const envText = await readText(ctx.fs, ctx.p.join(home, ".env")).catch(() => undefined);
    const secrets = envText ? parseDotenv(envText) : undefined;
    const out: Candidate[] = [];
    const add = (
      map: Record<string, unknown>,
      file: string,
      read: ReadFile,
      scope: Candidate["scope"],
      trusted: boolean,
      keyPath: string[],
    ) => {
      const found = ctx.entries(
        map,
        { file, read, keyPath },
        { format: "continue", scope, dialect: CONTINUE, allowFiles: trusted, secrets },
      );
      if (!trusted)
        for (const c of found) c.state = pending(ctx, "Continue", ctx.cwd, "Continue keeps no approval record");
      out.push(...found);
    };
    const trusted = ctx.bridgeTrusts(ctx.cwd);
    for (const file of await ctx.listFiles(ctx.c(".continue", "mcpServers"), [".yaml", ".yml", ".json"])) {
      const json = file.toLowerCase().endsWith(".json");
      const read = await ctx.read(file, json ? "json" : "yaml");
      if (!isObject(read.doc)) continue;
      if (json) {
        const found = ctx.entries(
          read.doc.mcpServers,
          { file, read, keyPath: ["mcpServers"] },
          { format: "continue", scope: "project", dialect: CURSOR, allowFiles: trusted },
        );
        if (!trusted)
          for (const c of found) c.state = pending(ctx, "Continue", ctx.cwd, "Continue keeps no approval record");
        out.push(...found);
      } else
        add(listToMap(ctx, file, read.doc.mcpServers, "mcpServers"), file, read, "project", trusted, ["mcpServers"]);
    }
    const yamlFile = ctx.p.join(home, "config.yaml");
    const yaml = await ctx.read(yamlFile, "yaml");
    if (isObject(yaml.doc) && yaml.doc.mcpServers !== undefined)
      add(listToMap(ctx, yamlFile, yaml.doc.mcpServers, "mcpServers"), yamlFile, yaml, "user", true, ["mcpServers"]);
    const jsonFile = ctx.p.join(home, "config.json");
    const json = await ctx.read(jsonFile, "json");
    const experimental =
      isObject(json.doc) && isObject(json.doc.experimental)
        ? json.doc.experimental.modelContextProtocolServers
        : undefined;
    if (experimental !== undefined)
      add(
        listToMap(ctx, jsonFile, experimental, "experimental.modelContextProtocolServers"),
        jsonFile,
        json,
        "user",
        true,
        ["experimental", "modelContextProtocolServers"],
      );
    return out;
  },
};

export const gooseReader: ClientReader = {
  id: "goose",
  async read(ctx) {
    const file = ctx.windows
      ? ctx.p.join(ctx.appData, "Block", "goose", "config", "config.yaml")
      : ctx.p.join(ctx.xdgConfig, "goose", "config.yaml");
    const read = await ctx.read(file, "yaml");
    if (!isObject(read.doc) || !isObject(read.doc.extensions)) return [];
    const out: Candidate[] = [];
    for (const [key, ext] of Object.entries(read.doc.extensions)) {
      if (!isObject(ext)) {
        ctx.problems.push({ file, reason: `extension "${key}" must be a mapping; skipped` });
        continue;
      }
      // Older files nest the server under `config`; `cmd` is goose's word for the command.
      const body = isObject(ext.config) ? { ...ext.config, enabled: ext.enabled } : ext;
      const value = { ...body, command: body.cmd ?? body.command, cmd: undefined };
      const c = ctx.entry(
        key,
        value,
        { file, read, keyPath: ["extensions"] },
        { format: "goose", scope: "user", dialect: GOOSE, allowFiles: true },
      );
      if (!c) continue;
      if (Array.isArray(body.env_keys) && body.env_keys.length)
        c.server.notes = [
          ...(c.server.notes ?? []),
          `env_keys (${body.env_keys.join(", ")}) live in goose's keyring; bridge passes them only if they are in its own environment`,
        ];
      for (const k of Array.isArray(body.env_keys) ? body.env_keys : []) {
        if (typeof k === "string" && ctx.env[k] !== undefined && c.server.transport === "stdio")
          c.server.env = { ...c.server.env, [k]: ctx.env[k]! };
      }
      if (c.server.notUsable) c.server.notUsable = `a goose ${String(body.type)} extension runs inside goose`;
      out.push(c);
    }
    return out;
  },
};
