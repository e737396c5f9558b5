/**
 * What every client reader shares: the inputs (home, cwd, OS, environment, file system), reading
 * and parsing one config file with every failure turned into a problem (never an exception), and
 * turning a file's server map into candidates in the client's dialect.
 */
import { posix, win32 } from "node:path";
import type { ConfigProblem, ServerScope } from "../types.ts";
import { readText, type DiscoveryFs } from "./fs.ts";
import type { ExpandContext } from "./expand.ts";
import {
  EntryError,
  isObject,
  nameProblem,
  normalizeServer,
  type Dialect,
  type NormalizedServer,
} from "./normalize.ts";
import { locateJsonPath, parseConfigText, type ConfigSyntax } from "./parse-file.ts";
import { readRegularFile } from "../../fs/read.ts";

/** Inputs every reader gets. */
export interface ReaderInputs {
  home: string;
  cwd: string;
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  fs: DiscoveryFs;
  /** MCP_BRIDGE_TRUSTED_PROJECTS: directories whose project-level files bridge may use when their client keeps no approval record. */
  trustedProjects: readonly string[];
  /** Test overrides for system-wide locations (Claude Code managed settings, Gemini system settings). */
  systemDirs?: { claudeManaged?: string; geminiSystem?: string };
}

/** A server definition found in one file, before bridge's own checks. */
export interface Candidate {
  name: string;
  format: string;
  scope: ServerScope;
  source: string;
  server: NormalizedServer;
  /** Set when the client itself would not run it. */
  state?: {
    status: "disabled" | "pending-approval" | "excluded" | "not-usable";
    reason: string;
    approve?: string;
    rejected?: boolean;
  };
}

/** One parsed file. */
export interface ReadFile {
  found: boolean;
  doc?: unknown;
  text?: string;
  syntax: ConfigSyntax;
}

export class ReadContext {
  readonly problems: ConfigProblem[] = [];
  readonly searched: Array<{ file: string; found: boolean }> = [];
  readonly windows: boolean;
  readonly p: typeof posix;
  private readonly cache = new Map<string, Promise<ReadFile>>();
  private gitRootLookup?: Promise<string | undefined>;

  constructor(readonly inputs: ReaderInputs) {
    this.windows = inputs.platform === "win32";
    this.p = this.windows ? win32 : posix;
  }

  get home(): string {
    return this.inputs.home;
  }
  get cwd(): string {
    return this.inputs.cwd;
  }
  get env(): Record<string, string | undefined> {
    return this.inputs.env;
  }
  get fs(): DiscoveryFs {
    return this.inputs.fs;
  }

  /** `~/…` */
  h(...parts: string[]): string {
    return this.p.join(this.home, ...parts);
  }
  /** `./…` (the working directory) */
  c(...parts: string[]): string {
    return this.p.join(this.cwd, ...parts);
  }

  /** An absolute environment path, or undefined (relative values are ignored, as XDG says). */
  absEnv(name: string): string | undefined {
    const v = this.env[name];
    return v && this.p.isAbsolute(v) ? v : undefined;
  }

  /** `$XDG_CONFIG_HOME` or `~/.config`. */
  get xdgConfig(): string {
    return (!this.windows && this.absEnv("XDG_CONFIG_HOME")) || this.h(".config");
  }
  /** `%APPDATA%` (Windows). */
  get appData(): string {
    return this.absEnv("APPDATA") ?? this.h("AppData", "Roaming");
  }
  /** The per-user application data directory of an app: `%APPDATA%\X`, `~/Library/Application Support/X`, `$XDG_CONFIG_HOME/X`. */
  appDir(name: string): string {
    if (this.windows) return this.p.join(this.appData, name);
    if (this.inputs.platform === "darwin") return this.h("Library", "Application Support", name);
    return this.p.join(this.xdgConfig, name);
  }

  /** Reads and parses a file once per discovery run; a missing file is `found: false`, every failure a problem. */
  read(file: string, syntax: ConfigSyntax, opts: { required?: string; maxBytes?: number } = {}): Promise<ReadFile> {
    let pending = this.cache.get(file);
    if (!pending) {
      pending = this.readUncached(file, syntax, opts);
      this.cache.set(file, pending);
    }
    return pending;
  }

  private async readUncached(
    file: string,
    syntax: ConfigSyntax,
    opts: { required?: string; maxBytes?: number },
  ): Promise<ReadFile> {
    let text: string | undefined;
    try {
      text = await readText(this.fs, file, opts.maxBytes);
    } catch (err) {
      this.searched.push({ file, found: true });
      this.problems.push({ file, reason: `cannot read: ${(err as Error).message}` });
      return { found: true, syntax };
    }
    this.searched.push({ file, found: text !== undefined });
    if (text === undefined) {
      if (opts.required) this.problems.push({ file, reason: `file not found (${opts.required})` });
      return { found: false, syntax };
    }
    const parsed = parseConfigText(file, text, syntax);
    if (!parsed.ok) {
      this.problems.push(parsed.problem);
      return { found: true, text, syntax };
    }
    return { found: true, doc: parsed.value, text, syntax };
  }

  /** Records a problem at a key path of a file (with line and column for JSON). */
  problem(
    file: ReadFile & { path?: string },
    filePath: string,
    reason: string,
    keyPath?: Array<string | number>,
  ): void {
    const where =
      keyPath && file.text ? locateJsonPath(file.text, file.syntax === "json" ? "json" : "toml", keyPath) : undefined;
    this.problems.push({ file: filePath, ...where, reason });
  }

  /** A directory's files with one of the extensions, in name order. */
  async listFiles(dir: string, exts: string[]): Promise<string[]> {
    let names: string[];
    try {
      names = await this.fs.listDir(dir);
    } catch (err) {
      this.problems.push({ file: dir, reason: `cannot list directory: ${(err as Error).message}` });
      return [];
    }
    const files = names
      .filter((n) => exts.some((e) => n.toLowerCase().endsWith(e)))
      .sort()
      .map((n) => this.p.join(dir, n));
    if (!files.length) this.searched.push({ file: this.p.join(dir, `*${exts[0]}`), found: false });
    return files;
  }

  /** The working directory and its ancestors, closest first, up to (not including) the filesystem root. */
  ancestors(stopAt?: string): string[] {
    const out: string[] = [];
    let dir = this.p.resolve(this.cwd);
    for (;;) {
      const parent = this.p.dirname(dir);
      if (parent === dir) break;
      out.push(dir);
      if (stopAt && dir === stopAt) break;
      dir = parent;
    }
    return out;
  }

  /** The nearest directory at or above the working directory that holds `.git`, if any (looked up once per run). */
  gitRoot(): Promise<string | undefined> {
    this.gitRootLookup ??= (async () => {
      for (const dir of this.ancestors()) if (await this.fs.exists(this.p.join(dir, ".git"))) return dir;
      return undefined;
    })();
    return this.gitRootLookup;
  }

  /** True when `dir` is listed in MCP_BRIDGE_TRUSTED_PROJECTS (exactly, or under an entry ending in `/**`). Relative entries are ignored. */
  bridgeTrusts(dir: string): boolean {
    const norm = (s: string) => {
      const expanded = s === "~" || s.startsWith("~/") || s.startsWith("~\\") ? this.h(s.slice(1)) : s;
      if (!this.p.isAbsolute(expanded)) return undefined;
      const n = this.p.resolve(expanded).replace(/[\\/]+$/, "");
      return this.windows ? n.toLowerCase() : n;
    };
    const target = norm(dir);
    if (target === undefined) return false;
    return this.inputs.trustedProjects.some((entry) => {
      const subtree = entry.endsWith("/**") || entry.endsWith("\\**");
      const base = norm(subtree ? entry.slice(0, -2) : entry);
      if (base === undefined) return false;
      return target === base || (subtree && target.startsWith(`${base}${this.p.sep}`));
    });
  }

  /** The hint that approves a project-level file through bridge's own setting. */
  bridgeApproveHint(dir: string): string {
    return `export MCP_BRIDGE_TRUSTED_PROJECTS=${JSON.stringify(dir)} (or add it to "trustedProjects" in bridge's config.json)`;
  }

  /**
   * The servers of one map in one file, normalized in `dialect`; bad names and bad entries become
   * problems (with their position) and are skipped.
   */
  entries(
    map: unknown,
    where: { file: string; read: ReadFile; keyPath: Array<string | number> },
    meta: {
      format: string;
      scope: ServerScope;
      dialect: Dialect;
      allowFiles: boolean;
      secrets?: Record<string, string>;
    },
  ): Candidate[] {
    if (map === undefined || map === null) return [];
    if (!isObject(map)) {
      this.problem(
        where.read,
        where.file,
        `"${where.keyPath.join(".")}" must be an object of servers by name, not ${Array.isArray(map) ? "an array" : typeof map}`,
        where.keyPath,
      );
      return [];
    }
    const out: Candidate[] = [];
    for (const [name, value] of Object.entries(map)) {
      const c = this.entry(name, value, where, meta);
      if (c) out.push(c);
    }
    return out;
  }

  /** One named server value → a candidate, or undefined (with a problem) when it is not usable as written. */
  entry(
    name: string,
    value: unknown,
    where: { file: string; read: ReadFile; keyPath: Array<string | number> },
    meta: {
      format: string;
      scope: ServerScope;
      dialect: Dialect;
      allowFiles: boolean;
      secrets?: Record<string, string>;
    },
  ): Candidate | undefined {
    const path = [...where.keyPath, name];
    const badName = nameProblem(name);
    if (badName) {
      this.problem(where.read, where.file, `${badName}; entry skipped`, path);
      return undefined;
    }
    const ctx: ExpandContext = {
      env: this.env,
      home: this.home,
      cwd: this.cwd,
      windows: this.windows,
      syntax: meta.dialect.syntax,
      notes: [],
      fileDir: this.p.dirname(where.file),
      allowFiles: meta.allowFiles,
      secrets: meta.secrets,
    };
    try {
      const server = normalizeServer(value, meta.dialect, ctx, {
        readEnvFile: (f) => {
          if (!meta.allowFiles) return undefined;
          try {
            return readRegularFile(this.p.resolve(this.cwd, f), { maxBytes: 1024 * 1024, followSymlinks: true });
          } catch {
            return undefined;
          }
        },
      });
      if (ctx.needsInput?.length && !server.notUsable)
        server.notUsable = `needs input in VS Code (\${input:${ctx.needsInput.join("}, ${input:")}})`;
      return { name, format: meta.format, scope: meta.scope, source: where.file, server };
    } catch (err) {
      if (!(err instanceof EntryError)) throw err;
      const keyPath = err.field ? [...path, err.field] : path;
      this.problem(where.read, where.file, `server "${name}": ${err.message}; entry skipped`, keyPath);
      return undefined;
    }
  }
}

/** A client: where it keeps servers and how it decides which run. */
export interface ClientReader {
  /** The format name shown by `discover` (e.g. "claude-code"). */
  id: string;
  /** Candidates in the client's own precedence order, highest first. */
  read(ctx: ReadContext): Promise<Candidate[]>;
}
