/**
 * MCP server discovery: reads every known MCP client's config file in priority order, merges
 * them (first definition of a name wins) and classifies each server (ok, disabled, denied, self,
 * command-not-found). Pure of process globals: home, cwd, platform, env and fs come in as options.
 */
import { posix, win32 } from "node:path";
import type { Config } from "../../config/index.ts";
import type { ConfigProblem, DiscoveryResult, ServerEntry } from "../types.ts";
import { classify } from "./classify.ts";
import { EntryError, nameProblem, normalizeServer, type NormalizedServer } from "./normalize.ts";
import { locateJsonPath, parseConfigText } from "./parse-file.ts";
import { extractServers } from "./shapes.ts";
import { configSources, type ConfigSource } from "./sources.ts";

/** The file-system operations discovery needs; injectable so tests use fixture homes. */
export interface DiscoveryFs {
  /** The file's text, or undefined when it does not exist (or is a directory). Other errors throw. */
  readFile(path: string): Promise<string | undefined>;
  /** Names of entries in a directory (not paths), or [] when it does not exist. */
  listDir(path: string): Promise<string[]>;
  /** True when `path` is an existing regular file the current user may execute. */
  isExecutable(path: string): Promise<boolean>;
}

/** Inputs of `discoverServers`. */
export interface DiscoverOptions {
  config: Pick<Config, "serversConfig" | "allowServers" | "denyServers" | "allowSelfServer">;
  /** The user's home directory (HOME / USERPROFILE). */
  home: string;
  /** The working directory project-level configs (./.mcp.json, ./.vscode/mcp.json …) are read from. */
  cwd: string;
  platform: NodeJS.Platform;
  /** Environment for `${VAR}` expansion, PATH lookup and %APPDATA%. */
  env: Record<string, string | undefined>;
  /** Path of the running bridge binary (process.execPath), to recognise entries that start bridge itself. */
  execPath?: string;
  /** Defaults to the real disk (node-fs.ts). */
  fs?: DiscoveryFs;
}

type Candidate = Omit<ServerEntry, "status"> & NormalizedServer;

/** The concrete files of a source: itself, or a directory's *.json files in name order. */
async function filesOf(source: ConfigSource, fs: DiscoveryFs, p: typeof posix): Promise<string[]> {
  if (!source.directory) return [source.path];
  const names = await fs.listDir(source.path);
  return names.filter((n) => n.toLowerCase().endsWith(".json")).sort().map((n) => p.join(source.path, n));
}

/** Reads one file's servers; every failure becomes a problem, never an exception. */
async function readSource(file: string, source: ConfigSource, opts: DiscoverOptions, fs: DiscoveryFs, problems: ConfigProblem[]): Promise<{ found: boolean; candidates: Candidate[] }> {
  let text: string | undefined;
  try {
    text = await fs.readFile(file);
  } catch (err) {
    problems.push({ file, reason: `cannot read: ${(err as Error).message}` });
    return { found: true, candidates: [] };
  }
  if (text === undefined) {
    if (source.required) problems.push({ file, reason: "file not found (named by MCP_SERVERS_CONFIG)" });
    return { found: false, candidates: [] };
  }
  const parsed = parseConfigText(file, text.replace(/^\uFEFF/, ""), source.syntax);
  if (!parsed.ok) {
    problems.push(parsed.problem);
    return { found: true, candidates: [] };
  }
  const windows = opts.platform === "win32";
  const extracted = extractServers(parsed.value, source.shape, { settingsFile: source.settingsFile, cwd: opts.cwd, windows });
  const where = (path?: Array<string | number>) => (path ? locateJsonPath(text!, source.syntax, path) : undefined);
  for (const problem of extracted.problems) problems.push({ file, ...where(problem.path), reason: problem.reason });

  const candidates: Candidate[] = [];
  for (const raw of extracted.servers) {
    const badName = nameProblem(raw.name);
    if (badName) {
      problems.push({ file, ...where(raw.path), reason: `${badName}; entry skipped` });
      continue;
    }
    const ctx = { env: opts.env, home: opts.home, cwd: opts.cwd, caseInsensitiveEnv: windows, notes: [] };
    try {
      const server = normalizeServer(raw.value, source.format, ctx);
      candidates.push({ name: raw.name, source: file, format: source.format, ...server });
    } catch (err) {
      if (!(err instanceof EntryError)) throw err;
      const path = err.field ? [...raw.path, err.field] : raw.path;
      problems.push({ file, ...(where(path) ?? where(raw.path)), reason: `server "${raw.name}": ${err.message}; entry skipped` });
    }
  }
  return { found: true, candidates };
}

/** Discovers every configured MCP server. Never throws for a bad config file: it becomes a problem. */
export async function discoverServers(opts: DiscoverOptions): Promise<DiscoveryResult> {
  const fs = opts.fs ?? (await import("./node-fs.ts")).nodeDiscoveryFs;
  const windows = opts.platform === "win32";
  const p = windows ? win32 : posix;
  const problems: ConfigProblem[] = [];
  const searched: DiscoveryResult["searched"] = [];
  const byName = new Map<string, Candidate>();
  const seenFiles = new Set<string>();

  const sources = configSources({ home: opts.home, cwd: opts.cwd, platform: opts.platform, env: opts.env, serversConfig: opts.config.serversConfig });
  for (const source of sources) {
    let files: string[];
    try {
      files = await filesOf(source, fs, p);
    } catch (err) {
      problems.push({ file: source.path, reason: `cannot list directory: ${(err as Error).message}` });
      continue;
    }
    if (source.directory && !files.length) searched.push({ file: p.join(source.path, "*.json"), found: false });
    for (const file of files) {
      if (seenFiles.has(file)) continue; // e.g. cwd == home: the same file is read once
      seenFiles.add(file);
      const { found, candidates } = await readSource(file, source, opts, fs, problems);
      searched.push({ file, found });
      for (const candidate of candidates) {
        const first = byName.get(candidate.name);
        if (first) (first.shadowed ??= []).push(file);
        else byName.set(candidate.name, candidate);
      }
    }
  }

  const servers = await Promise.all([...byName.values()].map(async ({ disabled, ...entry }): Promise<ServerEntry> => {
    const verdict = await classify({ ...entry, status: "ok", disabled }, {
      allow: opts.config.allowServers, deny: opts.config.denyServers, allowSelf: opts.config.allowSelfServer,
      execPath: opts.execPath, cwd: opts.cwd, env: opts.env, windows, isExecutable: (path) => fs.isExecutable(path),
    });
    return dropUndefined({ ...entry, ...verdict });
  }));
  return { servers, problems, searched };
}

function dropUndefined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

/** The servers callers may use: status "ok" only (denied, disabled, self, not-found are hidden). */
export function usableServers(result: DiscoveryResult): ServerEntry[] {
  return result.servers.filter((s) => s.status === "ok");
}

export type { ConfigProblem, DiscoveryResult, ServerEntry, ServerStatus } from "../types.ts";
