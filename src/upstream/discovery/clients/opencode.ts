/**
 * opencode: the global `~/.config/opencode/opencode.json[c]`, the file in `OPENCODE_CONFIG`, then
 * project files (`opencode.json[c]` and `.opencode/opencode.json[c]` in the working directory and its
 * parents up to the git root; the closest wins). Servers sit under `mcp.<name>` (1.x) or
 * `mcp.servers.<name>` (2.0, where `mcp.timeout` is a setting, not a server). `{env:VAR}` and
 * `{file:path}` are substituted; `enabled: false` turns a server off. opencode asks nobody before
 * using a project's servers, so bridge waits for MCP_BRIDGE_TRUSTED_PROJECTS. The old Go opencode's
 * `~/.opencode.json` (`mcpServers`) is read last.
 */
import type { Candidate, ClientReader } from "../context.ts";
import { OPENCODE, OPENCODE_LEGACY } from "../dialects.ts";
import { isObject } from "../normalize.ts";

const FORMAT = "opencode";
const SETTINGS = new Set(["timeout", "enabled", "servers"]);
const looksLikeServer = (v: unknown) => isObject(v) && ("type" in v || "command" in v || "url" in v);

/** The server map of an `mcp` value and its key path: 2.0 `mcp.servers`, else 1.x `mcp`. */
function serverMap(mcp: Record<string, unknown>): { map: Record<string, unknown>; keyPath: string[] } {
  if (isObject(mcp.servers) && !looksLikeServer(mcp.servers)) return { map: mcp.servers, keyPath: ["mcp", "servers"] };
  const map = Object.fromEntries(Object.entries(mcp).filter(([k, v]) => !(SETTINGS.has(k) && !looksLikeServer(v))));
  return { map, keyPath: ["mcp"] };
}

export const opencodeReader: ClientReader = {
  id: FORMAT,
  async read(ctx) {
    const root = (await ctx.gitRoot()) ?? ctx.p.resolve(ctx.cwd);
    const project = ctx.ancestors(root).flatMap((d) => [
      { file: ctx.p.join(d, ".opencode", "opencode.jsonc"), dir: d },
      { file: ctx.p.join(d, ".opencode", "opencode.json"), dir: d },
      { file: ctx.p.join(d, "opencode.jsonc"), dir: d },
      { file: ctx.p.join(d, "opencode.json"), dir: d },
    ]);
    const custom = ctx.absEnv("OPENCODE_CONFIG");
    const globalDir = ctx.p.join(ctx.windows ? ctx.h(".config") : ctx.xdgConfig, "opencode");
    const files: Array<{ file: string; scope: Candidate["scope"]; dir?: string }> = [
      ...project.map((f) => ({ ...f, scope: "project" as const })),
      ...(custom ? [{ file: custom, scope: "user" as const }] : []),
      { file: ctx.p.join(globalDir, "opencode.jsonc"), scope: "user" },
      { file: ctx.p.join(globalDir, "opencode.json"), scope: "user" },
    ];
    const out: Candidate[] = [];
    for (const { file, scope, dir } of files) {
      const read = await ctx.read(file, "json");
      if (!isObject(read.doc) || read.doc.mcp === undefined) continue;
      if (!isObject(read.doc.mcp)) {
        ctx.problems.push({ file, reason: '"mcp" must be an object' });
        continue;
      }
      const trusted = scope !== "project" || ctx.bridgeTrusts(dir!);
      const { map, keyPath } = serverMap(read.doc.mcp);
      const found = ctx.entries(
        map,
        { file, read, keyPath },
        { format: FORMAT, scope, dialect: OPENCODE, allowFiles: trusted },
      );
      if (!trusted)
        for (const c of found)
          c.state = {
            status: "pending-approval",
            reason: `project-level opencode server in ${dir}; opencode keeps no approval record`,
            approve: ctx.bridgeApproveHint(dir!),
          };
      out.push(...found);
    }
    const legacy = ctx.h(".opencode.json");
    const read = await ctx.read(legacy, "json");
    if (isObject(read.doc) && read.doc.mcpServers !== undefined) {
      out.push(
        ...ctx.entries(
          read.doc.mcpServers,
          { file: legacy, read, keyPath: ["mcpServers"] },
          { format: FORMAT, scope: "user", dialect: OPENCODE_LEGACY, allowFiles: true },
        ),
      );
    }
    return out;
  },
};
