/**
 * Where each client keeps its server map inside its config file: `mcpServers` (Claude, Cursor,
 * Windsurf, Gemini), VS Code `servers` / `mcp.servers`, opencode `mcp`, Codex `mcp_servers`,
 * Zed `context_servers`, and ~/.claude.json's per-project `projects[<dir>].mcpServers`.
 */
import { posix, win32 } from "node:path";

/** How a file's server map is found. `auto` detects it (for the generic server directories). */
export type Shape = "mcpServers" | "claude-json" | "vscode-mcp" | "vscode-settings" | "opencode" | "codex" | "zed" | "auto";

/** One server as written: its name, raw value, and key path in the file (for error positions). */
export interface RawServer {
  name: string;
  value: unknown;
  path: Array<string | number>;
}

export interface ShapeProblem {
  reason: string;
  path?: Array<string | number>;
}

export interface Extracted {
  servers: RawServer[];
  problems: ShapeProblem[];
}

/** True for a plain JSON/TOML object (not an array, not null). */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const SHAPE_KEYS: Record<Exclude<Shape, "auto" | "claude-json">, string[]> = {
  mcpServers: ["mcpServers"],
  "vscode-mcp": ["servers"],
  "vscode-settings": ["mcp", "servers"],
  opencode: ["mcp"],
  codex: ["mcp_servers"],
  zed: ["context_servers"],
};

function at(doc: Record<string, unknown>, keys: string[]): unknown {
  let cur: unknown = doc;
  for (const k of keys) {
    if (!isObject(cur) || !Object.hasOwn(cur, k)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/** The shape of a file whose client is unknown, by the first server-map key it has. */
export function detectShape(doc: Record<string, unknown>): Exclude<Shape, "auto"> | undefined {
  if (Object.hasOwn(doc, "mcpServers")) return "mcpServers";
  if (Object.hasOwn(doc, "servers")) return "vscode-mcp";
  if (Object.hasOwn(doc, "mcp.servers")) return "vscode-settings";
  if (isObject(doc.mcp) && Object.hasOwn(doc.mcp, "servers")) return "vscode-settings";
  if (Object.hasOwn(doc, "mcp")) return "opencode";
  if (Object.hasOwn(doc, "mcp_servers")) return "codex";
  if (Object.hasOwn(doc, "context_servers")) return "zed";
  return undefined;
}

function fromMap(map: unknown, path: Array<string | number>, problems: ShapeProblem[]): RawServer[] {
  if (map === undefined) return [];
  if (!isObject(map)) {
    problems.push({ reason: `"${path.join(".")}" must be an object of servers by name, not ${Array.isArray(map) ? "an array" : typeof map}`, path });
    return [];
  }
  return Object.entries(map).map(([name, value]) => ({ name, value, path: [...path, name] }));
}

/** Directory keys of ~/.claude.json's `projects` that apply to `cwd`: the exact one, else the nearest ancestor. */
function claudeProjectKey(projects: Record<string, unknown>, cwd: string, windows: boolean): string | undefined {
  const p = windows ? win32 : posix;
  const norm = (s: string) => (windows ? p.normalize(s.replaceAll("/", "\\")).toLowerCase() : p.normalize(s)).replace(/[\\/]+$/, "");
  const byNorm = new Map(Object.keys(projects).map((k) => [norm(k), k]));
  let dir = p.resolve(cwd);
  for (;;) {
    const key = byNorm.get(norm(dir));
    if (key !== undefined) return key;
    const parent = p.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The servers of one parsed file. `settingsFile` marks general settings files, where having no
 * MCP section is normal; in a dedicated MCP file it is reported as a problem.
 */
export function extractServers(doc: unknown, shape: Shape, opts: { settingsFile: boolean; cwd: string; windows: boolean }): Extracted {
  const problems: ShapeProblem[] = [];
  if (!isObject(doc)) {
    return { servers: [], problems: [{ reason: `expected a JSON object at the top level, found ${Array.isArray(doc) ? "an array" : doc === null ? "null" : typeof doc}` }] };
  }
  if (shape === "claude-json") {
    const servers: RawServer[] = [];
    const projects = doc.projects;
    if (isObject(projects)) {
      const key = claudeProjectKey(projects, opts.cwd, opts.windows);
      if (key !== undefined && isObject(projects[key])) servers.push(...fromMap((projects[key] as Record<string, unknown>).mcpServers, ["projects", key, "mcpServers"], problems));
    }
    servers.push(...fromMap(doc.mcpServers, ["mcpServers"], problems));
    return { servers, problems };
  }
  const resolved = shape === "auto" ? detectShape(doc) : shape;
  if (!resolved) {
    if (!opts.settingsFile) problems.push({ reason: 'no server map found (expected "mcpServers", "servers", "mcp", "mcp_servers" or "context_servers")' });
    return { servers: [], problems };
  }
  if (resolved === "vscode-settings" && Object.hasOwn(doc, "mcp.servers")) {
    return { servers: fromMap(doc["mcp.servers"], ["mcp.servers"], problems), problems };
  }
  const keys = SHAPE_KEYS[resolved as keyof typeof SHAPE_KEYS];
  const map = at(doc, keys);
  if (map === undefined && !opts.settingsFile) problems.push({ reason: `no "${keys.join(".")}" object found` });
  return { servers: fromMap(map, keys, problems), problems };
}
