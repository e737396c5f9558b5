/**
 * Turns one raw server value, in any client's dialect, into the fields of a ServerEntry:
 * transport, command/args/env/cwd for stdio, url/headers for remote servers, and whether it is
 * disabled. Dialect quirks: opencode (`type: local|remote`, command array, `environment`),
 * Zed (command object), Codex (`http_headers`, `bearer_token_env_var`), Gemini (`url` is SSE,
 * `httpUrl` is streamable HTTP), Windsurf (`serverUrl`), old opencode (env as "K=V" list).
 */
import type { ServerEntry } from "../types.ts";
import { expandPath, expandRecord, expandString, type ExpandContext } from "./expand.ts";
import { isObject } from "./shapes.ts";

/** The entry fields a config value determines (status is decided later). */
export type NormalizedServer = Omit<ServerEntry, "name" | "source" | "format" | "status" | "reason" | "resolvedCommand" | "shadowed"> & {
  disabled: boolean;
};

/** A value that cannot become a server; `field` is the offending key, for the error position. */
export class EntryError extends Error {
  constructor(message: string, readonly field?: string) {
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

function stringList(v: unknown, key: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new EntryError(`"${key}" must be an array of strings`, key);
  return v.map((item, i) => {
    if (typeof item === "string") return item;
    if (typeof item === "number" || typeof item === "boolean") return String(item);
    throw new EntryError(`"${key}[${i}]" must be a string`, key);
  });
}

/** An env/header map: an object of scalars, or a list of "KEY=VALUE" strings (old opencode). */
function stringMap(v: unknown, key: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    return Object.fromEntries(stringList(v, key)!.map((item) => {
      const eq = item.indexOf("=");
      if (eq <= 0) throw new EntryError(`"${key}" entries must look like KEY=VALUE, not "${item}"`, key);
      return [item.slice(0, eq), item.slice(eq + 1)];
    }));
  }
  if (!isObject(v)) throw new EntryError(`"${key}" must be an object of strings`, key);
  return Object.fromEntries(Object.entries(v).map(([k, val]) => {
    if (typeof val === "string") return [k, val];
    if (typeof val === "number" || typeof val === "boolean") return [k, String(val)];
    throw new EntryError(`"${key}.${k}" must be a string`, key);
  }));
}

const TRANSPORTS: Record<string, ServerEntry["transport"]> = {
  stdio: "stdio", local: "stdio",
  http: "http", "streamable-http": "http", streamablehttp: "http", streamable_http: "http", remote: "http",
  sse: "sse",
};

function transportOf(obj: Record<string, unknown>, url: string | undefined, format: string, urlKey: string | undefined): ServerEntry["transport"] {
  const type = obj.type ?? obj.transport;
  if (type !== undefined) {
    if (typeof type !== "string" || !TRANSPORTS[type.toLowerCase()]) {
      throw new EntryError(`unknown "type" ${JSON.stringify(type)} (expected stdio, http, streamable-http or sse)`, obj.type !== undefined ? "type" : "transport");
    }
    // opencode's "remote" means streamable HTTP unless the URL says SSE.
    if (type.toLowerCase() !== "remote") return TRANSPORTS[type.toLowerCase()]!;
  }
  if (url === undefined) return "stdio";
  if (format === "gemini") return urlKey === "httpUrl" ? "http" : "sse";
  return /\/sse\/?$/.test(new URL(url).pathname) ? "sse" : "http";
}

function commandParts(obj: Record<string, unknown>): { command?: string; args?: string[]; env?: Record<string, string> } {
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

/** Headers of a remote server, expanded; Codex's env-derived headers are read from the environment. */
function remoteHeaders(obj: Record<string, unknown>, ctx: ExpandContext): Record<string, string> | undefined {
  const written = expandRecord({ ...stringMap(obj.headers, "headers"), ...stringMap(obj.http_headers, "http_headers") }, ctx)!;
  const fromEnv = Object.entries(stringMap(obj.env_http_headers, "env_http_headers") ?? {})
    .map(([header, varName]) => [header, expandString(`\${${varName}}`, ctx)] as const);
  const bearerVar = stringField(obj, "bearer_token_env_var");
  const bearer = bearerVar ? [["Authorization", `Bearer ${expandString(`\${${bearerVar}}`, ctx)}`] as const] : [];
  const headers = { ...written, ...Object.fromEntries([...fromEnv, ...bearer]) };
  return Object.keys(headers).length ? headers : undefined;
}

/** Normalizes one server value. Throws EntryError when it cannot describe a server. */
export function normalizeServer(value: unknown, format: string, ctx: ExpandContext): NormalizedServer {
  if (!isObject(value)) throw new EntryError(`a server must be an object, not ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}`);
  const disabled = value.disabled === true || value.enabled === false;
  const urlKey = ["url", "serverUrl", "httpUrl"].find((k) => value[k] !== undefined && value[k] !== null);
  const rawUrl = urlKey ? stringField(value, urlKey) : undefined;
  const { command, args, env: commandEnv } = commandParts(value);
  const env = { ...commandEnv, ...stringMap(value.env, "env"), ...stringMap(value.environment, "environment") };
  const cwd = stringField(value, "cwd");
  if (value.envFile !== undefined) ctx.notes.push(`"envFile" is not read by bridge; put the variables in "env"`);

  if (rawUrl !== undefined) {
    const url = expandString(rawUrl, ctx);
    let parsed: URL;
    try { parsed = new URL(url); } catch { throw new EntryError(`"${urlKey}" is not a valid URL: ${JSON.stringify(url)}`, urlKey); }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new EntryError(`"${urlKey}" must be an http(s) URL, not ${parsed.protocol}`, urlKey);
    const transport = transportOf(value, url, format, urlKey);
    if (transport !== "stdio") {
      return { transport, url, headers: remoteHeaders(value, ctx), disabled, notes: ctx.notes.length ? ctx.notes : undefined };
    }
  }
  const transport = transportOf(value, undefined, format, undefined);
  if (transport !== "stdio") throw new EntryError(`"type" is ${transport} but there is no "url"`, "type");
  if (command === undefined) throw new EntryError(`has neither "command" nor "url"`);
  if (command.trim() === "") throw new EntryError(`"command" is empty`, "command");
  return {
    transport: "stdio",
    command: expandPath(command, ctx),
    args: (args ?? []).map((a) => expandString(a, ctx)),
    env: Object.keys(env).length ? expandRecord(env, ctx) : undefined,
    cwd: cwd !== undefined ? expandPath(cwd, ctx) : undefined,
    disabled,
    notes: ctx.notes.length ? ctx.notes : undefined,
  };
}
