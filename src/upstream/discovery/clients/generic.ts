/**
 * bridge's own places: the files named by MCP_SERVERS_CONFIG (explicit, highest priority; a list),
 * `~/MCPs/*.json` and `$XDG_CONFIG_HOME/mcp/servers/*.json` (the user's), and `./mcp-servers/*.json`
 * (a project's: pending until MCP_BRIDGE_TRUSTED_PROJECTS names the directory). The server map is
 * found by its key: `mcpServers`, `servers`, `mcp.servers`, `mcp`, `mcp_servers` or `context_servers`.
 */
import type { Candidate, ClientReader, ReadContext } from "../context.ts";
import { GENERIC, OPENCODE } from "../dialects.ts";
import { isObject, type Dialect } from "../normalize.ts";
import type { ConfigSyntax } from "../parse-file.ts";

const FORMAT = "mcp-json";

/** The server map of a document whose client is unknown, by the first server-map key it has. */
export function detectMap(
  doc: Record<string, unknown>,
): { map: unknown; keyPath: string[]; dialect: Dialect } | undefined {
  if (Object.hasOwn(doc, "mcpServers")) return { map: doc.mcpServers, keyPath: ["mcpServers"], dialect: GENERIC };
  if (Object.hasOwn(doc, "servers")) return { map: doc.servers, keyPath: ["servers"], dialect: GENERIC };
  if (Object.hasOwn(doc, "mcp.servers")) return { map: doc["mcp.servers"], keyPath: ["mcp.servers"], dialect: GENERIC };
  if (isObject(doc.mcp) && isObject(doc.mcp.servers))
    return { map: doc.mcp.servers, keyPath: ["mcp", "servers"], dialect: GENERIC };
  if (Object.hasOwn(doc, "mcp"))
    return {
      map: doc.mcp,
      keyPath: ["mcp"],
      dialect: { ...OPENCODE, syntax: { ...OPENCODE.syntax, ...GENERIC.syntax } },
    };
  if (Object.hasOwn(doc, "mcp_servers")) return { map: doc.mcp_servers, keyPath: ["mcp_servers"], dialect: GENERIC };
  if (Object.hasOwn(doc, "context_servers"))
    return { map: doc.context_servers, keyPath: ["context_servers"], dialect: GENERIC };
  return undefined;
}

const syntaxOf = (file: string): ConfigSyntax =>
  /\.toml$/i.test(file) ? "toml" : /\.ya?ml$/i.test(file) ? "yaml" : "json";

async function readGenericFile(
  ctx: ReadContext,
  file: string,
  scope: Candidate["scope"],
  opts: { required?: string; trustedDir?: string },
): Promise<Candidate[]> {
  const read = await ctx.read(file, syntaxOf(file), { required: opts.required });
  if (!read.doc) return [];
  if (!isObject(read.doc)) {
    ctx.problems.push({
      file,
      reason: `expected an object at the top level, found ${Array.isArray(read.doc) ? "an array" : typeof read.doc}`,
    });
    return [];
  }
  const found = detectMap(read.doc);
  if (!found) {
    ctx.problems.push({
      file,
      reason: 'no server map found (expected "mcpServers", "servers", "mcp", "mcp_servers" or "context_servers")',
    });
    return [];
  }
  const trusted = opts.trustedDir === undefined || ctx.bridgeTrusts(opts.trustedDir);
  const out = ctx.entries(
    found.map,
    { file, read, keyPath: found.keyPath },
    { format: FORMAT, scope, dialect: found.dialect, allowFiles: trusted },
  );
  if (!trusted)
    for (const c of out)
      c.state = {
        status: "pending-approval",
        reason: `project-level file in ${opts.trustedDir}`,
        approve: ctx.bridgeApproveHint(opts.trustedDir!),
      };
  return out;
}

/** MCP_SERVERS_CONFIG's files, each relative to the working directory (`~` = home). */
export function explicitFiles(ctx: ReadContext, serversConfig: readonly string[]): string[] {
  return serversConfig.map((f) =>
    ctx.p.resolve(ctx.cwd, f.startsWith("~") ? ctx.h(f.slice(1).replace(/^[\\/]/, "")) : f),
  );
}

export function explicitReader(serversConfig: readonly string[]): ClientReader {
  return {
    id: FORMAT,
    async read(ctx) {
      const out: Candidate[] = [];
      for (const file of explicitFiles(ctx, serversConfig))
        out.push(...(await readGenericFile(ctx, file, "explicit", { required: "named by MCP_SERVERS_CONFIG" })));
      return out;
    },
  };
}

export const genericUserReader: ClientReader = {
  id: FORMAT,
  async read(ctx) {
    const out: Candidate[] = [];
    for (const dir of [ctx.h("MCPs"), ctx.p.join(ctx.xdgConfig, "mcp", "servers")]) {
      for (const file of await ctx.listFiles(dir, [".json"]))
        out.push(...(await readGenericFile(ctx, file, "user", {})));
    }
    return out;
  },
};

export const genericProjectReader: ClientReader = {
  id: FORMAT,
  async read(ctx) {
    const out: Candidate[] = [];
    for (const file of await ctx.listFiles(ctx.c("mcp-servers"), [".json"]))
      out.push(...(await readGenericFile(ctx, file, "project", { trustedDir: ctx.cwd })));
    return out;
  },
};
