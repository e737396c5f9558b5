/** The shape of a doctor check and the I/O it may use (injected, so checks are unit-testable). */
import type { Config } from "../config/index.ts";

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface CheckResult {
  /** Short label, e.g. "container engine". */
  name: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** The exact next step when status is warn or fail. */
  fix?: string;
}

export interface SpawnResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when the command could not be started at all (not found, not executable). */
  notFound?: boolean;
}

export interface DoctorDeps {
  config: Config;
  env: Record<string, string | undefined>;
  /** Runs a command without a shell, with a timeout. */
  spawn(argv: string[], opts?: { timeoutMs?: number; env?: Record<string, string | undefined> }): Promise<SpawnResult>;
  /** Resolves a command on PATH, or undefined. */
  which(cmd: string): string | undefined;
  /** lstat-like: mode bits and whether it is a symlink, or undefined when missing. */
  stat(path: string): { mode: number; isSymlink: boolean; isDirectory: boolean } | undefined;
  readText(path: string): string | undefined;
  now(): number;
}

/** A check: one or more results. It must not throw; a crash is reported as a failed check. */
export type Check = (deps: DoctorDeps) => Promise<CheckResult | CheckResult[]>;
