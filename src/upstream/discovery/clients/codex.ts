/**
 * Codex: `[mcp_servers.<name>]` in `$CODEX_HOME/config.toml` (default `~/.codex`), and in
 * `.codex/config.toml` of the working directory and its parents up to the project root (the nearest
 * `.git`), closest first; project files count only in a trusted project
 * (`[projects."<dir>"] trust_level = "trusted"` for the working directory or the project root).
 * `enabled = false` turns a server off; `env_vars` forwards named variables from bridge's
 * environment; `bearer_token_env_var` and `env_http_headers` read header values from it.
 */
import type { Candidate, ClientReader, ReadContext } from "../context.ts";
import { CODEX } from "../dialects.ts";
import { isObject } from "../normalize.ts";

const FORMAT = "codex";

function trustedIn(doc: unknown, dirs: string[], ctx: ReadContext): boolean {
  if (!isObject(doc) || !isObject(doc.projects)) return false;
  const projects = doc.projects;
  return dirs.some((dir) =>
    Object.entries(projects).some(([k, v]) => ctx.p.resolve(k) === dir && isObject(v) && v.trust_level === "trusted"),
  );
}

/** Codex's extra keys become plain env / headers before normalizing; what cannot be resolved becomes a note. */
function prepare(value: unknown, ctx: ReadContext, notes: string[]): unknown {
  if (!isObject(value)) return value;
  const env: Record<string, unknown> = isObject(value.env) ? { ...value.env } : {};
  if (Array.isArray(value.env_vars)) {
    for (const item of value.env_vars) {
      const name =
        typeof item === "string" ? item : isObject(item) && typeof item.name === "string" ? item.name : undefined;
      if (!name) continue;
      if (isObject(item) && item.source === "remote") {
        notes.push(`env_vars ${name} comes from a remote executor; bridge does not forward it`);
        continue;
      }
      const v = ctx.env[name];
      if (v === undefined) notes.push(`env_vars names ${name}, which is not set in bridge's environment`);
      else env[name] = v;
    }
  }
  const headers: Record<string, unknown> = isObject(value.http_headers) ? { ...value.http_headers } : {};
  if (isObject(value.env_http_headers)) {
    for (const [header, varName] of Object.entries(value.env_http_headers)) {
      if (typeof varName !== "string") continue;
      const v = ctx.env[varName];
      if (v === undefined) notes.push(`env_http_headers: ${varName} is not set; header ${header} not sent`);
      else headers[header] = v;
    }
  }
  if (typeof value.bearer_token_env_var === "string") {
    const v = ctx.env[value.bearer_token_env_var];
    if (v === undefined)
      notes.push(`bearer_token_env_var ${value.bearer_token_env_var} is not set; no Authorization header`);
    else headers.Authorization = `Bearer ${v}`;
  }
  return {
    ...value,
    env: Object.keys(env).length ? env : undefined,
    http_headers: Object.keys(headers).length ? headers : undefined,
  };
}

export const codexReader: ClientReader = {
  id: FORMAT,
  async read(ctx) {
    const home = ctx.absEnv("CODEX_HOME") ?? ctx.h(".codex");
    const userFile = ctx.p.join(home, "config.toml");
    const user = await ctx.read(userFile, "toml");
    const root = (await ctx.gitRoot()) ?? ctx.p.resolve(ctx.cwd);
    const trusted = trustedIn(user.doc, [ctx.p.resolve(ctx.cwd), root], ctx);
    const projectFiles = ctx
      .ancestors(root)
      .map((d) => ctx.p.join(d, ".codex", "config.toml"))
      .filter((f) => f !== userFile);

    const out: Candidate[] = [];
    for (const { file, scope } of [
      ...projectFiles.map((file) => ({ file, scope: "project" as const })),
      { file: userFile, scope: "user" as const },
    ]) {
      const read = scope === "user" ? user : await ctx.read(file, "toml");
      if (!isObject(read.doc) || read.doc.mcp_servers === undefined) continue;
      if (!isObject(read.doc.mcp_servers)) {
        ctx.problems.push({ file, reason: '"mcp_servers" must be a table of servers' });
        continue;
      }
      const usable = scope === "user" || trusted;
      for (const [name, raw] of Object.entries(read.doc.mcp_servers)) {
        const notes: string[] = [];
        const c = ctx.entry(
          name,
          prepare(raw, ctx, notes),
          { file, read, keyPath: ["mcp_servers"] },
          { format: FORMAT, scope, dialect: CODEX, allowFiles: usable },
        );
        if (!c) continue;
        if (notes.length) c.server.notes = [...(c.server.notes ?? []), ...notes];
        if (!usable)
          c.state = {
            status: "pending-approval",
            reason: `Codex loads ${file} only in a trusted project`,
            approve: `trust the project in Codex (add [projects."${root}"] trust_level = "trusted" to ${userFile}, or run \`codex\` there and trust it)`,
          };
        out.push(c);
      }
    }
    return out;
  },
};
