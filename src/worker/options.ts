/**
 * Turns `bridge worker` flags into WorkerOptions, validating each with a message that names the
 * flag. `--allow-root` may repeat (citty keeps only the last value, so it is read from raw argv).
 */
import { realpathSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import type { Config } from "../config/index.ts";
import { parseDuration } from "../config/index.ts";
import { BridgeError } from "../errors.ts";
import { PERMISSION_MODES } from "../queue/schema.ts";
import type { PermissionMode, WorkerOptions } from "../queue/types.ts";

export interface WorkerFlags {
  concurrency?: string;
  scripts?: string;
  permissionMode?: string;
  timeout?: string;
  grace?: string;
  once?: boolean;
  /** `--trust-project-settings`: claude jobs load project settings in every directory. */
  trustProjectSettings?: boolean;
}

const usage = (message: string, hint?: string) => new BridgeError("USAGE", message, { hint });

/** Every value of a repeatable string flag in raw argv (`--flag v` and `--flag=v`). */
export function repeatedFlag(rawArgs: string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === "--") break;
    if (a === flag && i + 1 < rawArgs.length) out.push(rawArgs[++i]!);
    else if (a.startsWith(`${flag}=`)) out.push(a.slice(flag.length + 1));
  }
  return out;
}

function duration(flag: string, value: string | undefined, fallback: string): number {
  const ms = parseDuration(value ?? fallback);
  if (ms === undefined || ms <= 0)
    throw usage(`--${flag} ${JSON.stringify(value)} is not a duration.`, "Use e.g. 30s, 10m or 1h.");
  return ms;
}

function resolveDir(flag: string, r: string): string {
  if (!isAbsolute(r) && !r.startsWith(".")) throw usage(`${flag} ${JSON.stringify(r)} must be a directory path.`);
  try {
    return realpathSync(resolve(r));
  } catch {
    throw usage(`${flag} ${r}: no such directory.`, "Create it or fix the path.");
  }
}

/**
 * Validated worker options. `trustedRootArgs` are the `--trust-project-settings-in` values:
 * directories whose project settings claude jobs may load (see WorkerOptions.trustProjectSettings).
 */
export function workerOptions(
  flags: WorkerFlags,
  allowRootArgs: string[],
  config: Config,
  trustedRootArgs: string[] = [],
): WorkerOptions {
  const concurrency = Number(flags.concurrency ?? "2");
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw usage(`--concurrency ${JSON.stringify(flags.concurrency)} must be a whole number from 1 to 64.`);
  }
  const mode = (flags.permissionMode ?? "default") as PermissionMode;
  if (!PERMISSION_MODES.includes(mode)) {
    throw usage(
      `--permission-mode ${JSON.stringify(flags.permissionMode)} is not a permission mode.`,
      `Use one of: ${PERMISSION_MODES.join(", ")}.`,
    );
  }
  const explicit = allowRootArgs.length > 0;
  const roots = explicit
    ? allowRootArgs.map((r) => resolveDir("--allow-root", r))
    : [
        (() => {
          try {
            return realpathSync(homedir());
          } catch {
            return resolve(homedir());
          }
        })(),
      ]; // a missing home only matters once a claude job asks for it
  if (flags.trustProjectSettings && trustedRootArgs.length) {
    throw usage(
      "--trust-project-settings trusts every directory; --trust-project-settings-in names some. Use one of them.",
    );
  }
  return {
    concurrency,
    allowRoots: roots,
    scriptsDir: resolve(flags.scripts ?? join(config.root, "scripts")),
    permissionMode: mode,
    timeoutMs: duration("timeout", flags.timeout, "30m"),
    graceMs: duration("grace", flags.grace, "30s"),
    once: Boolean(flags.once),
    trustProjectSettings: flags.trustProjectSettings
      ? "all"
      : trustedRootArgs.map((r) => resolveDir("--trust-project-settings-in", r)),
  };
}
