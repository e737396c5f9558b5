/**
 * Loads the configuration: defaults, then the optional config file, then environment variables.
 * Every invalid value is reported at once, naming the variable, the value and what is accepted:
 * `loadConfig` throws with all of them, `validateConfig` returns them with defaults in their place.
 */
import { parse as parseJsonc, type ParseError } from "jsonc-parser";
import { join } from "node:path";
import { BridgeError } from "../errors.ts";
import { readRegularFile } from "../fs/read.ts";
import { lineColumnAt, parseErrorWords } from "./json-position.ts";
import { SETTINGS, type Config } from "./schema.ts";

/** Where configuration comes from; injectable for tests. */
export interface ConfigSources {
  env: Record<string, string | undefined>;
  /** Returns the file's text, or undefined when it does not exist. */
  readFile?: (path: string) => string | undefined;
}

/** Largest config file read (a settings object is a few KiB). */
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * The config file's text, or undefined when missing. A FIFO, device or huge file named like it is
 * refused at once (CONFIG_INVALID) instead of freezing or flooding the process; a symlink is
 * followed (dotfile repositories link their configs).
 */
const readIfExists = (path: string): string | undefined =>
  readRegularFile(path, {
    maxBytes: MAX_CONFIG_BYTES,
    followSymlinks: true,
    code: "CONFIG_INVALID",
    label: `The config file ${path}`,
  });

/** The config file path: `MCP_BRIDGE_CONFIG`, else `<BRIDGE_ROOT>/config.json`. */
export function configFilePath(env: ConfigSources["env"]): string {
  return env.MCP_BRIDGE_CONFIG || join(env.BRIDGE_ROOT || (SETTINGS.root.default as string), "config.json");
}

/** One invalid setting (or config file): what is wrong, in the words `loadConfig` reports it. */
export interface ConfigProblem {
  /** The environment variable, `<file>: "<key>"`, or the config file path. */
  setting: string;
  /** The rejected value, when there is one. */
  value?: unknown;
  /** `<setting>=<value> is not valid: <what is accepted>` and the like. */
  message: string;
  /** What is used instead: the default, when the setting has one. */
  fallback?: unknown;
}

/** Reads and validates the configuration. Throws CONFIG_INVALID listing every problem. */
export function loadConfig(sources: ConfigSources = { env: process.env }): Config {
  const { config, problems } = validateConfig(sources);
  if (problems.length) {
    throw new BridgeError(
      "CONFIG_INVALID",
      `Invalid configuration:\n  - ${problems.map((p) => p.message).join("\n  - ")}`,
      {
        hint: "Fix or unset the values above (see docs/configuration.md).",
      },
    );
  }
  return config;
}

/**
 * Never throws: every valid setting, the default in place of each invalid one, and one problem per
 * invalid value or unusable config file (for `bridge doctor`, which reports them and goes on).
 */
export function validateConfig(sources: ConfigSources = { env: process.env }): {
  config: Config;
  problems: ConfigProblem[];
} {
  const { env } = sources;
  const read = sources.readFile ?? readIfExists;
  const file = configFilePath(env);
  const problems: ConfigProblem[] = [];
  let fileValues: Record<string, unknown> = {};
  let text: string | undefined;
  try {
    text = read(file);
  } catch (err) {
    problems.push({ setting: file, message: `${file}: cannot be read: ${(err as Error).message}` });
  }
  if (text !== undefined) {
    try {
      const parsed = parseJsonStrict(text);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("expected a JSON object");
      fileValues = parsed;
      const formerKeys = new Set(
        Object.values(SETTINGS).flatMap((s) => ("formerly" in s && s.formerly ? [s.formerly.key] : [])),
      );
      for (const key of Object.keys(parsed)) {
        if (!(key in SETTINGS) && !formerKeys.has(key))
          problems.push({
            setting: file,
            message: `${file}: unknown setting "${key}" (known: ${Object.keys(SETTINGS).join(", ")})`,
          });
      }
    } catch (err) {
      problems.push({ setting: file, message: `${file}: not valid JSON: ${(err as Error).message}` });
    }
  }

  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(SETTINGS)) {
    // A renamed setting is still read under its old names; the new ones win.
    const formerly = "formerly" in s ? s.formerly : undefined;
    const envName = env[s.env] === undefined && formerly && env[formerly.env] !== undefined ? formerly.env : s.env;
    const key =
      fileValues[name] === undefined && formerly && fileValues[formerly.key] !== undefined ? formerly.key : name;
    const fromEnv = env[envName];
    const source = fromEnv !== undefined ? envName : fileValues[key] !== undefined ? `${file}: "${key}"` : undefined;
    const raw = fromEnv !== undefined ? fromEnv : fileValues[key] !== undefined ? fileValues[key] : s.default;
    if (raw === undefined) continue;
    const schema = s.schema as import("zod").ZodType;
    const result = schema.safeParse(raw);
    if (result.success) out[name] = result.data;
    else {
      const why = result.error.issues.map((i) => i.message).join("; ");
      const fallback = s.default === undefined ? undefined : schema.safeParse(s.default);
      if (fallback?.success) out[name] = fallback.data;
      problems.push({
        setting: source ?? key,
        value: raw,
        fallback: s.default,
        message: `${source ?? key}=${JSON.stringify(raw)} is not valid: ${why}`,
      });
    }
  }
  const root = out.root as string;
  out.stateDir ??= join(root, "state");
  out.tokenFile ??= join(root, "token");
  if ((out.timeout as number) > (out.maxTimeout as number)) {
    problems.push({
      setting: SETTINGS.timeout.env,
      value: out.timeout,
      fallback: out.maxTimeout,
      message: `MCP_BRIDGE_TIMEOUT (${out.timeout} ms) exceeds MCP_BRIDGE_MAX_TIMEOUT (${out.maxTimeout} ms): lower the timeout or raise the maximum`,
    });
    out.timeout = out.maxTimeout;
  }
  return { config: out as Config, problems };
}

/**
 * Strict JSON (no comments, no trailing commas), parsed with jsonc-parser because JSON.parse's
 * errors carry no position in Bun: a syntax error names its line and column in the file.
 */
function parseJsonStrict(text: string): any {
  const errors: ParseError[] = [];
  const value = parseJsonc(text, errors, {
    disallowComments: true,
    allowTrailingComma: false,
    allowEmptyContent: false,
  });
  const first = errors[0];
  if (!first) return value;
  const { line, column } = lineColumnAt(text, first.offset);
  throw new Error(`${parseErrorWords(first.error)} at line ${line}, column ${column}`);
}
