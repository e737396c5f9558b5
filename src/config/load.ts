/**
 * Loads the configuration: defaults, then the optional config file, then environment variables.
 * Every invalid value is reported at once, naming the variable, the value and what is accepted.
 */
import { join } from "node:path";
import { BridgeError } from "../errors.ts";
import { readRegularFile } from "../fs/read.ts";
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
  readRegularFile(path, { maxBytes: MAX_CONFIG_BYTES, followSymlinks: true, code: "CONFIG_INVALID", label: `The config file ${path}` });

/** The config file path: `MCP_BRIDGE_CONFIG`, else `<BRIDGE_ROOT>/config.json`. */
export function configFilePath(env: ConfigSources["env"]): string {
  return env.MCP_BRIDGE_CONFIG || join(env.BRIDGE_ROOT || (SETTINGS.root.default as string), "config.json");
}

/** Reads and validates the configuration. Throws CONFIG_INVALID listing every problem. */
export function loadConfig(sources: ConfigSources = { env: process.env }): Config {
  const { env } = sources;
  const read = sources.readFile ?? readIfExists;
  const file = configFilePath(env);
  const problems: string[] = [];
  let fileValues: Record<string, unknown> = {};
  const text = read(file);
  if (text !== undefined) {
    try {
      const parsed = JSON.parse(text);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("expected a JSON object");
      fileValues = parsed;
      for (const key of Object.keys(parsed)) {
        if (!(key in SETTINGS)) problems.push(`${file}: unknown setting "${key}" (known: ${Object.keys(SETTINGS).join(", ")})`);
      }
    } catch (err) {
      problems.push(`${file}: not valid JSON: ${(err as Error).message}`);
    }
  }

  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(SETTINGS)) {
    const fromEnv = env[s.env];
    const source = fromEnv !== undefined ? s.env : fileValues[key] !== undefined ? `${file}: "${key}"` : undefined;
    const raw = fromEnv !== undefined ? fromEnv : fileValues[key] !== undefined ? fileValues[key] : s.default;
    if (raw === undefined) continue;
    const result = (s.schema as import("zod").ZodType).safeParse(raw);
    if (result.success) out[key] = result.data;
    else {
      const why = result.error.issues.map((i) => i.message).join("; ");
      problems.push(`${source ?? key}=${JSON.stringify(raw)} is not valid: ${why}`);
    }
  }
  if (problems.length) {
    throw new BridgeError("CONFIG_INVALID", `Invalid configuration:\n  - ${problems.join("\n  - ")}`, {
      hint: "Fix or unset the values above (see docs/configuration.md).",
    });
  }
  const root = out.root as string;
  out.stateDir ??= join(root, "state");
  out.tokenFile ??= join(root, "token");
  const cfg = out as Config;
  if (cfg.timeout > cfg.maxTimeout) {
    throw new BridgeError("CONFIG_INVALID", `Invalid configuration: MCP_BRIDGE_TIMEOUT (${cfg.timeout} ms) exceeds MCP_BRIDGE_MAX_TIMEOUT (${cfg.maxTimeout} ms).`, {
      hint: "Lower the timeout or raise the maximum.",
    });
  }
  return cfg;
}
