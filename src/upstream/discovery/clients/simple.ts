/**
 * Clients that keep an `mcpServers` map in one or two JSON files: a user file, and for some a
 * project file in the working directory that wins over it. None of these clients keeps an approval
 * record bridge can read, so a project file counts only when its directory is in
 * MCP_BRIDGE_TRUSTED_PROJECTS; until then its servers are `pending approval`.
 */
import type { Candidate, ClientReader, ReadContext } from "../context.ts";
import { AMAZON_Q, CLAUDE_DESKTOP, CLINE, COPILOT, CURSOR, JUNIE, KIRO, ROO, WARP, WINDSURF } from "../dialects.ts";
import type { Dialect } from "../normalize.ts";
import { isObject } from "../normalize.ts";

interface FileSpec {
  /** The file(s), highest precedence first. */
  paths: (ctx: ReadContext) => string[] | Promise<string[]>;
  scope: "user" | "project";
  /** A general settings file where a missing `mcpServers` is normal. */
  settingsFile?: boolean;
}

interface SimpleClient {
  id: string;
  dialect: Dialect;
  /** Highest precedence first (project before user where the client says so). */
  files: FileSpec[];
}

/** The VS Code family's per-user directories (extensions such as Cline and Roo live under each). */
export function editorUserDirs(ctx: ReadContext): string[] {
  return ["Code", "Code - Insiders", "VSCodium", "Cursor", "Windsurf"].map((app) =>
    ctx.p.join(ctx.appDir(app), "User"),
  );
}

const projectFile = (...parts: string[]): FileSpec => ({ scope: "project", paths: (ctx) => [ctx.c(...parts)] });
const userFile = (...parts: string[]): FileSpec => ({ scope: "user", paths: (ctx) => [ctx.h(...parts)] });

const CLIENTS: SimpleClient[] = [
  {
    id: "claude-desktop",
    dialect: CLAUDE_DESKTOP,
    files: [
      {
        scope: "user",
        settingsFile: true,
        paths: (ctx) => [ctx.p.join(ctx.appDir("Claude"), "claude_desktop_config.json")],
      },
    ],
  },
  { id: "cursor", dialect: CURSOR, files: [projectFile(".cursor", "mcp.json"), userFile(".cursor", "mcp.json")] },
  { id: "windsurf", dialect: WINDSURF, files: [userFile(".codeium", "windsurf", "mcp_config.json")] },
  {
    id: "cline",
    dialect: CLINE,
    files: [
      {
        scope: "user",
        paths: (ctx) =>
          editorUserDirs(ctx).map((d) =>
            ctx.p.join(d, "globalStorage", "saoudrizwan.claude-dev", "settings", "cline_mcp_settings.json"),
          ),
      },
    ],
  },
  {
    id: "cline-cli",
    dialect: CLINE,
    files: [
      {
        scope: "user",
        paths: (ctx) => [
          ctx.p.join(ctx.absEnv("CLINE_DIR") ?? ctx.h(".cline"), "data", "settings", "cline_mcp_settings.json"),
        ],
      },
    ],
  },
  {
    id: "roo",
    dialect: ROO,
    files: [
      projectFile(".roo", "mcp.json"),
      {
        scope: "user",
        paths: (ctx) =>
          editorUserDirs(ctx).map((d) =>
            ctx.p.join(d, "globalStorage", "rooveterinaryinc.roo-cline", "settings", "mcp_settings.json"),
          ),
      },
    ],
  },
  {
    id: "kiro",
    dialect: KIRO,
    files: [projectFile(".kiro", "settings", "mcp.json"), userFile(".kiro", "settings", "mcp.json")],
  },
  {
    id: "amazon-q",
    dialect: AMAZON_Q,
    files: [
      projectFile(".amazonq", "mcp.json"),
      { ...projectFile(".amazonq", "agents", "default.json"), settingsFile: true },
      userFile(".aws", "amazonq", "mcp.json"),
      { ...userFile(".aws", "amazonq", "agents", "default.json"), settingsFile: true },
    ],
  },
  {
    id: "copilot-cli",
    dialect: COPILOT,
    files: [
      {
        scope: "user",
        paths: (ctx) => [ctx.p.join(ctx.absEnv("COPILOT_HOME") ?? ctx.h(".copilot"), "mcp-config.json")],
      },
    ],
  },
  {
    id: "junie",
    dialect: JUNIE,
    files: [projectFile(".junie", "mcp", "mcp.json"), userFile(".junie", "mcp", "mcp.json")],
  },
  {
    id: "warp",
    dialect: WARP,
    files: [
      { scope: "project", paths: async (ctx) => [ctx.p.join((await ctx.gitRoot()) ?? ctx.cwd, ".warp", ".mcp.json")] },
      userFile(".warp", ".mcp.json"),
    ],
  },
  { id: "lm-studio", dialect: CURSOR, files: [userFile(".lmstudio", "mcp.json")] },
];

/** The project directory a project-level file belongs to (the parent of the client's folder). */
function projectDirOf(ctx: ReadContext, file: string): string {
  const dir = ctx.p.dirname(file);
  const rel = ctx.p.relative(ctx.cwd, dir);
  if (!rel.startsWith("..")) return ctx.cwd;
  // Files found at the repository root (Warp) belong to that directory.
  let d = dir;
  while (ctx.p.basename(d).startsWith(".") || ["settings", "mcp", "agents"].includes(ctx.p.basename(d)))
    d = ctx.p.dirname(d);
  return d;
}

/** Reads one simple client; project-level servers are pending until the project is trusted in bridge. */
async function readSimple(ctx: ReadContext, client: SimpleClient): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const spec of client.files) {
    for (const file of await spec.paths(ctx)) {
      const read = await ctx.read(file, "json");
      if (!read.doc) continue;
      if (!isObject(read.doc)) {
        ctx.problems.push({ file, reason: "expected a JSON object at the top level" });
        continue;
      }
      const map = read.doc.mcpServers;
      if (map === undefined) {
        if (!spec.settingsFile) ctx.problems.push({ file, reason: 'no "mcpServers" object found' });
        continue;
      }
      const projectDir = spec.scope === "project" ? projectDirOf(ctx, file) : undefined;
      const trusted = projectDir === undefined || ctx.bridgeTrusts(projectDir);
      const found = ctx.entries(
        map,
        { file, read, keyPath: ["mcpServers"] },
        { format: client.id, scope: spec.scope, dialect: client.dialect, allowFiles: trusted },
      );
      if (!trusted) {
        for (const c of found)
          c.state = {
            status: "pending-approval",
            reason: `project-level ${client.id} server in ${projectDir}; ${client.id} keeps no approval record bridge can read`,
            approve: ctx.bridgeApproveHint(projectDir!),
          };
      }
      out.push(...found);
    }
  }
  return out;
}

export const SIMPLE_READERS: ClientReader[] = CLIENTS.map((client) => ({
  id: client.id,
  read: (ctx) => readSimple(ctx, client),
}));
