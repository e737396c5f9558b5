/**
 * The process-wide logger. Everything goes to stderr: stdout of `serve` belongs to JSON-RPC,
 * and consola's default reporters would write info/log/success to stdout.
 */
import { createConsola, type ConsolaInstance } from "consola";

const LEVELS = { silent: -999, error: 0, warn: 1, info: 3, debug: 4, trace: 5 } as const;
export type LogLevel = keyof typeof LEVELS;

export const log: ConsolaInstance = createConsola({
  stdout: process.stderr,
  stderr: process.stderr,
  level: LEVELS.info,
  formatOptions: { date: false, colors: Boolean(process.stderr.isTTY) },
});

/** Applies a configured level name to the shared logger. */
export function setLogLevel(level: LogLevel): void {
  log.level = LEVELS[level];
}
