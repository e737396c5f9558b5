/**
 * VS Code, VS Code Insiders and VSCodium: `mcp.json` (`servers`, `inputs`) in the user directory
 * and in each profile (`User/profiles/<id>/mcp.json`), the older `mcp.servers` in the user
 * `settings.json`, and the workspace's `.vscode/mcp.json`. `${input:…}` values are asked for by the
 * editor, so such entries are `not usable` here; `envFile` is read. VS Code keeps its workspace
 * trust and per-server trust in its own database, so workspace servers need
 * MCP_BRIDGE_TRUSTED_PROJECTS. `chat.mcp.access: "none"` (or the older `chat.mcp.enabled: false`)
 * in the user settings turns every server off, as in the editor.
 */
import type { Candidate, ClientReader, ReadContext } from "../context.ts";
import { VSCODE } from "../dialects.ts";
import { isObject } from "../normalize.ts";

const VARIANTS = [
  { id: "vscode", app: "Code" },
  { id: "vscode-insiders", app: "Code - Insiders" },
  { id: "vscodium", app: "VSCodium" },
];

function accessOff(settings: Record<string, unknown> | undefined): string | undefined {
  if (!settings) return undefined;
  const access = settings["chat.mcp.access"];
  if (access === "none" || access === false) return `"chat.mcp.access" is "none" in the user settings`;
  if (access === "registry")
    return `"chat.mcp.access" is "registry" (only servers from the MCP registry); bridge cannot check which those are`;
  if (settings["chat.mcp.enabled"] === false) return `"chat.mcp.enabled" is false in the user settings`;
  return undefined;
}

async function readVariant(ctx: ReadContext, id: string, app: string, withWorkspace: boolean): Promise<Candidate[]> {
  const userDir = ctx.p.join(ctx.appDir(app), "User");
  const out: Candidate[] = [];
  const meta = (scope: Candidate["scope"], allowFiles: boolean) => ({ format: id, scope, dialect: VSCODE, allowFiles });

  if (withWorkspace) {
    const file = ctx.c(".vscode", "mcp.json");
    const read = await ctx.read(file, "json");
    if (isObject(read.doc)) {
      const trusted = ctx.bridgeTrusts(ctx.cwd);
      const found = ctx.entries(read.doc.servers, { file, read, keyPath: ["servers"] }, meta("project", trusted));
      if (!trusted)
        for (const c of found)
          c.state = {
            status: "pending-approval",
            reason:
              "workspace server (.vscode/mcp.json); VS Code keeps its trust decisions where bridge cannot read them",
            approve: ctx.bridgeApproveHint(ctx.cwd),
          };
      out.push(...found);
    }
  }

  const profiles = (await ctx.fs.listDir(ctx.p.join(userDir, "profiles")).catch(() => [] as string[])).sort();
  for (const file of [
    ctx.p.join(userDir, "mcp.json"),
    ...profiles.map((p) => ctx.p.join(userDir, "profiles", p, "mcp.json")),
  ]) {
    const read = await ctx.read(file, "json");
    if (!isObject(read.doc)) continue;
    if (read.doc.servers === undefined) ctx.problems.push({ file, reason: 'no "servers" object found' });
    out.push(...ctx.entries(read.doc.servers, { file, read, keyPath: ["servers"] }, meta("user", true)));
  }

  const settingsFile = ctx.p.join(userDir, "settings.json");
  const settings = await ctx.read(settingsFile, "json");
  const doc = isObject(settings.doc) ? settings.doc : undefined;
  if (doc) {
    const nested = isObject(doc.mcp) ? doc.mcp.servers : undefined;
    if (doc["mcp.servers"] !== undefined)
      out.push(
        ...ctx.entries(
          doc["mcp.servers"],
          { file: settingsFile, read: settings, keyPath: ["mcp.servers"] },
          meta("user", true),
        ),
      );
    else if (nested !== undefined)
      out.push(
        ...ctx.entries(nested, { file: settingsFile, read: settings, keyPath: ["mcp", "servers"] }, meta("user", true)),
      );
  }
  const off = accessOff(doc);
  if (off) for (const c of out) c.state ??= { status: "excluded", reason: `${app}: ${off}` };
  return out;
}

export const VSCODE_READERS: ClientReader[] = VARIANTS.map((v, i) => ({
  id: v.id,
  read: (ctx) => readVariant(ctx, v.id, v.app, i === 0),
}));
