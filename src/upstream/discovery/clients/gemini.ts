/**
 * Gemini CLI: `mcpServers` in system settings (highest), the workspace's `.gemini/settings.json`,
 * the user's `~/.gemini/settings.json`, then system defaults. The workspace file counts only in a
 * folder Gemini trusts (`~/.gemini/trustedFolders.json`: TRUST_FOLDER, TRUST_PARENT, DO_NOT_TRUST).
 * `mcp.allowed` / `mcp.excluded` (formerly `allowMCPServers` / `excludeMCPServers`) filter by name;
 * excluded wins. Values take `$VAR` and `${VAR}` (and `%VAR%` on Windows).
 */
import type { Candidate, ClientReader, ReadContext } from "../context.ts";
import { GEMINI } from "../dialects.ts";
import { isObject } from "../normalize.ts";

const FORMAT = "gemini";

function systemSettingsPath(ctx: ReadContext): string {
  const override = ctx.inputs.systemDirs?.geminiSystem;
  if (override) return ctx.p.join(override, "settings.json");
  const env = ctx.absEnv("GEMINI_CLI_SYSTEM_SETTINGS_PATH");
  if (env) return env;
  if (ctx.inputs.platform === "darwin") return "/Library/Application Support/GeminiCli/settings.json";
  if (ctx.windows) return "C:\\ProgramData\\gemini-cli\\settings.json";
  return "/etc/gemini-cli/settings.json";
}

/** Whether Gemini CLI trusts the working directory, by the most specific rule in trustedFolders.json. */
export function geminiTrusts(rules: Record<string, unknown>, cwd: string, p: ReadContext["p"]): boolean | undefined {
  let best: { len: number; trusted: boolean } | undefined;
  const within = (dir: string) => cwd === dir || cwd.startsWith(dir.endsWith(p.sep) ? dir : dir + p.sep);
  for (const [path, level] of Object.entries(rules)) {
    const dir = level === "TRUST_PARENT" ? p.dirname(p.resolve(path)) : p.resolve(path);
    if (!within(dir)) continue;
    const trusted = level === "TRUST_FOLDER" || level === "TRUST_PARENT";
    if (!best || dir.length > best.len || (dir.length === best.len && !trusted)) best = { len: dir.length, trusted };
  }
  return best?.trusted;
}

const nameList = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : undefined;

export const geminiReader: ClientReader = {
  id: FORMAT,
  async read(ctx) {
    const system = systemSettingsPath(ctx);
    const defaults =
      ctx.absEnv("GEMINI_CLI_SYSTEM_DEFAULTS_PATH") ?? ctx.p.join(ctx.p.dirname(system), "system-defaults.json");
    const workspace = ctx.c(".gemini", "settings.json");
    const userFile = ctx.h(".gemini", "settings.json");
    const trustFile = ctx.absEnv("GEMINI_CLI_TRUSTED_FOLDERS_PATH") ?? ctx.h(".gemini", "trustedFolders.json");
    const trustDoc = (await ctx.read(trustFile, "json")).doc;
    const trusted = isObject(trustDoc) ? geminiTrusts(trustDoc, ctx.p.resolve(ctx.cwd), ctx.p) === true : false;

    const files: Array<{ file: string; scope: Candidate["scope"] }> = [
      { file: system, scope: "system" },
      ...(ctx.p.resolve(ctx.cwd) === ctx.p.resolve(ctx.home) ? [] : [{ file: workspace, scope: "project" as const }]),
      { file: userFile, scope: "user" },
      { file: defaults, scope: "system" },
    ];
    const out: Candidate[] = [];
    const allowLists: Array<{ file: string; names: string[] }> = [];
    const excluded: Array<{ file: string; names: string[] }> = [];
    for (const { file, scope } of files) {
      const read = await ctx.read(file, "json");
      if (!isObject(read.doc)) continue;
      const mcp = isObject(read.doc.mcp) ? read.doc.mcp : {};
      const allow = nameList(mcp.allowed) ?? nameList(read.doc.allowMCPServers);
      const exclude = nameList(mcp.excluded) ?? nameList(read.doc.excludeMCPServers);
      if (allow) allowLists.push({ file, names: allow });
      if (exclude) excluded.push({ file, names: exclude });
      const isProject = scope === "project";
      const found = ctx.entries(
        read.doc.mcpServers,
        { file, read, keyPath: ["mcpServers"] },
        { format: FORMAT, scope, dialect: GEMINI, allowFiles: !isProject || trusted },
      );
      if (isProject && !trusted) {
        for (const c of found)
          c.state = {
            status: "pending-approval",
            reason: `Gemini CLI does not trust ${ctx.cwd}, so it ignores this workspace's settings`,
            approve: `trust the folder in Gemini CLI (run \`gemini\` in ${ctx.cwd} and choose "Trust folder", or /permissions)`,
          };
      }
      out.push(...found);
    }
    for (const c of out) {
      if (c.state) continue;
      const ex = excluded.find((e) => e.names.includes(c.name));
      if (ex) {
        c.state = { status: "excluded", reason: `in "mcp.excluded" of ${ex.file}` };
        continue;
      }
      const notAllowed = allowLists.find((a) => !a.names.includes(c.name));
      if (notAllowed) c.state = { status: "excluded", reason: `not in "mcp.allowed" of ${notAllowed.file}` };
    }
    return out;
  },
};
