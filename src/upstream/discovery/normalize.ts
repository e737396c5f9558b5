/**
 * Turns one raw server value, in a client's own dialect, into transport, command/args/env/cwd for
 * stdio or url/headers for remote servers, plus whether the client has it turned off. A Dialect
 * says which keys and variable syntax that client reads; keys a client ignores are ignored here too
 * (Claude Code has no `cwd`, Warp calls it `working_directory`, Gemini's `url` is SSE, …).
 */
import type { ServerEntry } from "../types.ts";
import { expandPath, expandRecord, expandString, type ExpandContext, type VarSyntax } from "./expand.ts";

/** True for a plain JSON/TOML/YAML object (not an array, not null). */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** How one client writes a server. */
export interface Dialect {
  syntax: VarSyntax;
  /** Key holding the working directory of a stdio server; none when the client has no such setting. */
  cwdKey?: string;
  /** Keys a remote URL may be under, in order. */
  urlKeys: string[];
  /** Transport of a `url` without `type`: always SSE, always streamable HTTP, or guessed from a `/sse` path. */
  urlTransport: "sse" | "http" | "guess";
  /** A transport implied by the key itself (Gemini's `httpUrl`). */
  urlKeyTransport?: Record<string, ServerEntry["transport"]>;
  /** Client-specific `type` values (merged over the common ones). */
  types?: Record<string, ServerEntry["transport"] | "not-usable">;
  /** Keys that hold headers. */
  headerKeys?: string[];
  /** Keys that hold the environment (merged in order). */
  envKeys?: string[];
  /** VS Code / Cursor `envFile`. */
  envFile?: boolean;
  /** A remote server must say its `type` (Claude Code's schema has no untyped URL entry). */
  urlNeedsType?: boolean;
}

/** The entry fields a config value determines, whether its own file turns it off, and why bridge cannot use a valid entry. */
export type NormalizedServer = Pick<
  ServerEntry,
  "transport" | "command" | "args" | "env" | "cwd" | "url" | "headers" | "notes"
> & {
  disabled: boolean;
  notUsable?: string;
};

/** A value that cannot become a server; `field` is the offending key, for the error position. */
export class EntryError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const MAX_NAME = 128;

/** Why a server name is unusable, or undefined when it is fine. */
export function nameProblem(name: string): string | undefined {
  if (name.trim() === "") return "a server name must not be empty";
  if (name.length > MAX_NAME) return `a server name must be at most ${MAX_NAME} characters`;
  // Control characters would corrupt the table and logs (terminal escape sequences).
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return "a server name must not contain control characters";
  return undefined;
}

function stringField(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new EntryError(`"${key}" must be a string`, key);
  return v;
}

export function stringList(v: unknown, key: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new EntryError(`"${key}" must be an array of strings`, key);
  return v.map((item, i) => {
    if (typeof item === "string") return item;
    if (typeof item === "number" || typeof item === "boolean") return String(item);
    throw new EntryError(`"${key}[${i}]" must be a string`, key);
  });
}

/** An env/header map: an object of scalars, or a list of "KEY=VALUE" strings (old opencode). */
export function stringMap(v: unknown, key: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    return Object.fromEntries(
      stringList(v, key)!.map((item) => {
        const eq = item.indexOf("=");
        if (eq <= 0) throw new EntryError(`"${key}" entries must look like KEY=VALUE, not "${item}"`, key);
        return [item.slice(0, eq), item.slice(eq + 1)];
      }),
    );
  }
  if (!isObject(v)) throw new EntryError(`"${key}" must be an object of strings`, key);
  return Object.fromEntries(
    Object.entries(v).map(([k, val]) => {
      if (typeof val === "string") return [k, val];
      if (typeof val === "number" || typeof val === "boolean") return [k, String(val)];
      throw new EntryError(`"${key}.${k}" must be a string`, key);
    }),
  );
}

const COMMON_TYPES: Record<string, ServerEntry["transport"] | "not-usable"> = {
  stdio: "stdio",
  local: "stdio",
  http: "http",
  "streamable-http": "http",
  streamablehttp: "http",
  streamable_http: "http",
  remote: "http",
  sse: "sse",
  ws: "not-usable",
  websocket: "not-usable",
};

function commandParts(obj: Record<string, unknown>): {
  command?: string;
  args?: string[];
  env?: Record<string, string>;
} {
  const cmd = obj.command;
  if (cmd === undefined || cmd === null) return {};
  if (typeof cmd === "string") return { command: cmd, args: stringList(obj.args, "args") };
  if (Array.isArray(cmd)) {
    const parts = stringList(cmd, "command")!;
    if (!parts.length) throw new EntryError(`"command" must not be an empty array`, "command");
    return { command: parts[0], args: [...parts.slice(1), ...(stringList(obj.args, "args") ?? [])] };
  }
  if (isObject(cmd)) {
    const path = stringField(cmd, "path") ?? stringField(cmd, "command");
    if (path === undefined) throw new EntryError(`"command" object needs a "path"`, "command");
    return { command: path, args: stringList(cmd.args, "command.args"), env: stringMap(cmd.env, "command.env") };
  }
  throw new EntryError(`"command" must be a string, an array or an object`, "command");
}

/** Parses a dotenv file's text: KEY=VALUE lines, `export` prefixes, quotes, comments. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    const q = value[0];
    if ((q === '"' || q === "'") && value.endsWith(q) && value.length >= 2) {
      value = value.slice(1, -1);
      if (q === '"') value = value.replace(/\\n/g, "\n").replace(/\\"/g, '"');
    } else {
      value = value.replace(/\s+#.*$/, "");
    }
    out[m[1]!] = value;
  }
  return out;
}

/** Extra inputs normalize may need: how to read an `envFile`. */
export interface NormalizeIO {
  readEnvFile?: (path: string) => string | undefined;
}

/** Normalizes one server value. Throws EntryError when it cannot describe a server. */
export function normalizeServer(
  value: unknown,
  dialect: Dialect,
  ctx: ExpandContext,
  io: NormalizeIO = {},
): NormalizedServer {
  if (!isObject(value))
    throw new EntryError(
      `a server must be an object, not ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}`,
    );
  const disabled = value.disabled === true || value.enabled === false;
  const types = { ...COMMON_TYPES, ...dialect.types };
  const rawType = value.type ?? value.transport;
  let typed: ServerEntry["transport"] | undefined;
  if (rawType !== undefined && rawType !== null) {
    if (typeof rawType !== "string" || !types[rawType.toLowerCase()]) {
      throw new EntryError(
        `unknown "type" ${JSON.stringify(rawType)} (expected ${Object.keys(types)
          .filter((t) => types[t] !== "not-usable")
          .join(", ")})`,
        value.type !== undefined ? "type" : "transport",
      );
    }
    const t = types[rawType.toLowerCase()]!;
    if (t === "not-usable") {
      const url = dialect.urlKeys.map((k) => value[k]).find((v): v is string => typeof v === "string");
      return {
        transport: "stdio",
        url: url === undefined ? undefined : expandString(url, ctx),
        disabled,
        notUsable: `its "${rawType}" transport is not supported by bridge`,
        notes: ctx.notes.length ? ctx.notes : undefined,
      };
    }
    typed = t;
  }
  const urlKey = dialect.urlKeys.find((k) => value[k] !== undefined && value[k] !== null);
  const rawUrl = urlKey ? stringField(value, urlKey) : undefined;
  const { command, args, env: commandEnv } = commandParts(value);
  const envFromKeys = Object.assign(
    {},
    ...(dialect.envKeys ?? ["env"]).map((k) => stringMap(value[k], k) ?? {}),
  ) as Record<string, string>;
  let fileEnv: Record<string, string> = {};
  if (dialect.envFile && value.envFile !== undefined) {
    const path = expandPath(stringField(value, "envFile")!, ctx);
    const text = io.readEnvFile?.(path);
    if (text === undefined) ctx.notes.push(`envFile ${path} could not be read; its variables are missing`);
    else fileEnv = parseDotenv(text);
  }
  const notes = () => (ctx.notes.length ? ctx.notes : undefined);

  if (rawUrl !== undefined && typed !== "stdio") {
    if (dialect.urlNeedsType && typed === undefined)
      throw new EntryError(`has "${urlKey}" but no "type" (use "http" or "sse")`, urlKey);
    const url = expandString(rawUrl, ctx);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new EntryError(`"${urlKey}" is not a valid URL`, urlKey);
    }
    if (parsed.protocol === "ws:" || parsed.protocol === "wss:")
      return {
        transport: "stdio",
        url,
        disabled,
        notUsable: "its WebSocket URL is not supported by bridge",
        notes: notes(),
      };
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
      throw new EntryError(`"${urlKey}" must be an http(s) URL, not ${parsed.protocol}`, urlKey);
    const transport =
      typed ??
      dialect.urlKeyTransport?.[urlKey!] ??
      (dialect.urlTransport === "guess" ? (/\/sse\/?$/.test(parsed.pathname) ? "sse" : "http") : dialect.urlTransport);
    const headers = Object.assign(
      {},
      ...(dialect.headerKeys ?? ["headers"]).map((k) => stringMap(value[k], k) ?? {}),
    ) as Record<string, string>;
    return {
      transport,
      url,
      headers: Object.keys(headers).length ? expandRecord(headers, ctx) : undefined,
      disabled,
      notes: notes(),
    };
  }
  if (typed !== undefined && typed !== "stdio")
    throw new EntryError(
      `"type" is ${String(rawType)} but there is no ${dialect.urlKeys.map((k) => `"${k}"`).join(" or ")}`,
      "type",
    );
  if (command === undefined)
    throw new EntryError(`has neither "command" nor ${dialect.urlKeys.map((k) => `"${k}"`).join(" / ")}`);
  if (command.trim() === "") throw new EntryError(`"command" is empty`, "command");
  const written = { ...commandEnv, ...envFromKeys };
  const env = { ...fileEnv, ...expandRecord(written, ctx) };
  const cwd = dialect.cwdKey ? stringField(value, dialect.cwdKey) : undefined;
  return {
    transport: "stdio",
    command: expandPath(command, ctx),
    args: (args ?? []).map((a) => expandString(a, ctx)),
    env: Object.keys(env).length ? env : undefined,
    cwd: cwd !== undefined ? expandPath(cwd, ctx) : undefined,
    disabled,
    notes: notes(),
  };
}
