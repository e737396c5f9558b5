/**
 * Claude Code, read the way its CLI (2.1.330, checked with `claude mcp list` / `claude mcp get`)
 * reads it:
 * - scopes, highest first: managed (`managed-mcp.json`, `managedMcpServers`) > local
 *   (`~/.claude.json` `projects[<cwd>].mcpServers`) > project (`.mcp.json` in the working directory and
 *   each parent up to, not including, `/`; the closest wins) > user (`~/.claude.json` `mcpServers`);
 * - a `.mcp.json` server runs only when approved: by `enableAllProjectMcpServers` or
 *   `enabledMcpjsonServers` in user or managed settings, or, once the folder is trusted
 *   (`projects[<cwd>].hasTrustDialogAccepted`), in `.claude/settings.local.json`,
 *   `.claude/settings.json` or the legacy fields of `projects[<cwd>]`. `disabledMcpjsonServers` rejects
 *   it. A pending or rejected one never hides a server of the same name from another scope;
 * - `projects[<cwd>].disabledMcpServers` turns servers off for this directory;
 * - `managed-mcp.json` takes exclusive control; `allowedMcpServers` / `deniedMcpServers` filter.
 * Servers in `~/.claude/settings.json` `mcpServers` are not Claude Code servers (the CLI ignores them).
 */
import type { Candidate, ClientReader, ReadContext, ReadFile } from "../context.ts";
import { CLAUDE } from "../dialects.ts";
import { isObject } from "../normalize.ts";
import { policyEntries, policyExclusion, type ClaudePolicy } from "./claude-policy.ts";
import { readClaudeState } from "./claude-state.ts";

const FORMAT = "claude-code";

/** Claude Code's system-wide directory for managed settings. */
export function claudeManagedDir(ctx: ReadContext): string {
  if (ctx.inputs.systemDirs?.claudeManaged) return ctx.inputs.systemDirs.claudeManaged;
  if (ctx.inputs.platform === "darwin") return "/Library/Application Support/ClaudeCode";
  if (ctx.windows) return "C:\\Program Files\\ClaudeCode";
  return "/etc/claude-code";
}

const names = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
/** Claude Code also matches these lists after normalising names (non-alphanumerics → `_`). */
const normName = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, "_");
const listHas = (list: unknown, name: string, loose = false) =>
  names(list).some((n) => n === name || (loose && normName(n) === normName(name)));

interface Settings {
  file: string;
  doc: Record<string, unknown>;
}

async function settingsAt(ctx: ReadContext, file: string): Promise<Settings | undefined> {
  const read = await ctx.read(file, "json");
  return isObject(read.doc) ? { file, doc: read.doc } : undefined;
}

export const claudeCodeReader: ClientReader = {
  id: FORMAT,
  async read(ctx) {
    const configDir = ctx.absEnv("CLAUDE_CONFIG_DIR");
    const stateFile = ctx.p.join(configDir ?? ctx.home, ".claude.json");
    const managedDir = claudeManagedDir(ctx);
    const state = await readClaudeState(ctx, stateFile);
    const project = state.project ?? {};
    const trusted = project.hasTrustDialogAccepted === true;

    const user = await settingsAt(ctx, ctx.p.join(configDir ?? ctx.h(".claude"), "settings.json"));
    const projectSettings = await settingsAt(ctx, ctx.c(".claude", "settings.json"));
    const localSettings = await settingsAt(ctx, ctx.c(".claude", "settings.local.json"));
    const managedFiles = [
      ctx.p.join(managedDir, "managed-settings.json"),
      ...(await ctx.listFiles(ctx.p.join(managedDir, "managed-settings.d"), [".json"])),
    ];
    const managed = (await Promise.all(managedFiles.map((f) => settingsAt(ctx, f)))).filter((s): s is Settings =>
      Boolean(s),
    );
    const all = [user, projectSettings, localSettings, ...managed].filter((s): s is Settings => Boolean(s));

    const managedOnly = managed.some((s) => s.doc.allowManagedMcpServersOnly === true);
    const policy: ClaudePolicy = {
      deny: all.flatMap((s) => (policyEntries(s.doc.deniedMcpServers) ?? []).map((entry) => ({ file: s.file, entry }))),
      allowLists: (managedOnly ? managed : all).flatMap((s) => {
        const entries = policyEntries(s.doc.allowedMcpServers);
        return entries ? [{ file: s.file, entries }] : [];
      }),
    };

    const entries = (
      map: unknown,
      file: string,
      read: ReadFile,
      keyPath: Array<string | number>,
      scope: Candidate["scope"],
    ) => ctx.entries(map, { file, read, keyPath }, { format: FORMAT, scope, dialect: CLAUDE, allowFiles: false });
    const stateRead: ReadFile = { found: state.found, syntax: "json" };

    const managedCandidates: Candidate[] = [];
    const managedMcp = ctx.p.join(managedDir, "managed-mcp.json");
    const mm = await ctx.read(managedMcp, "json");
    const exclusive = mm.found;
    if (isObject(mm.doc))
      managedCandidates.push(...entries(mm.doc.mcpServers, managedMcp, mm, ["mcpServers"], "managed"));
    for (const s of managed)
      if (s.doc.managedMcpServers !== undefined)
        managedCandidates.push(
          ...entries(
            s.doc.managedMcpServers,
            s.file,
            { found: true, syntax: "json" },
            ["managedMcpServers"],
            "managed",
          ),
        );

    const local =
      state.projectKey !== undefined
        ? entries(project.mcpServers, stateFile, stateRead, ["projects", state.projectKey, "mcpServers"], "local")
        : [];
    const projectCandidates: Candidate[] = [];
    for (const dir of ctx.ancestors()) {
      const file = ctx.p.join(dir, ".mcp.json");
      const read = await ctx.read(file, "json");
      if (!read.doc) continue;
      if (!isObject(read.doc) || (read.doc.mcpServers !== undefined && !isObject(read.doc.mcpServers))) {
        ctx.problems.push({ file, reason: '.mcp.json must be an object with an "mcpServers" object' });
        continue;
      }
      projectCandidates.push(...entries(read.doc.mcpServers, file, read, ["mcpServers"], "project"));
    }
    const userCandidates = entries(state.userServers, stateFile, stateRead, ["mcpServers"], "user");

    for (const c of projectCandidates) {
      const rejectedIn = [
        listHas(project.disabledMcpjsonServers, c.name, true) ? stateFile : undefined,
        ...all.map((s) => (listHas(s.doc.disabledMcpjsonServers, c.name, true) ? s.file : undefined)),
      ].find(Boolean);
      if (rejectedIn) {
        c.state = {
          status: "disabled",
          reason: `rejected in Claude Code (disabledMcpjsonServers in ${rejectedIn})`,
          rejected: true,
        };
        continue;
      }
      const approves = (doc: Record<string, unknown>) =>
        doc.enableAllProjectMcpServers === true || listHas(doc.enabledMcpjsonServers, c.name);
      const approved =
        [user, ...managed].some((s) => s && approves(s.doc)) ||
        (trusted && [project, projectSettings?.doc, localSettings?.doc].some((d) => d && approves(d)));
      if (!approved) {
        c.state = {
          status: "pending-approval",
          reason: trusted
            ? "this .mcp.json server has not been approved in Claude Code"
            : `this .mcp.json server has not been approved, and Claude Code does not trust ${ctx.cwd} yet`,
          approve: `run \`claude\` in ${ctx.cwd} and approve "${c.name}" when asked (or add "${c.name}" to "enabledMcpjsonServers" in ~/.claude/settings.json)`,
        };
      }
    }

    const ordered = [...managedCandidates, ...local, ...projectCandidates, ...userCandidates];
    for (const c of ordered) {
      if (c.state) continue;
      if (exclusive && c.scope !== "managed") {
        c.state = { status: "excluded", reason: `${managedMcp} takes exclusive control of Claude Code's MCP servers` };
        continue;
      }
      if (listHas(project.disabledMcpServers, c.name)) {
        c.state = { status: "disabled", reason: `turned off for ${ctx.cwd} in Claude Code (disabledMcpServers)` };
        continue;
      }
      const excluded = policyExclusion(policy, c.name, c.server, c.scope === "managed");
      if (excluded) c.state = { status: "excluded", reason: `Claude Code policy: ${excluded}` };
    }
    return ordered;
  },
};
