/** `bridge doctor`: every check in order, with the real I/O. */
import { lstatSync, readFileSync } from "node:fs";
import type { Config, ConfigProblem } from "../config/index.ts";
import { claudeCheck } from "./checks/claude.ts";
import { configResults } from "./checks/config.ts";
import { rootCheck } from "./checks/root.ts";
import { sandboxCheck } from "./checks/sandbox.ts";
import { serversCheck } from "./checks/servers.ts";
import { trackingCheck } from "./checks/tracking.ts";
import { workerCheck } from "./checks/worker.ts";
import { runChecks } from "./report.ts";
import type { CheckResult, DoctorDeps } from "./types.ts";

export { renderReport, reportExitCode, withSelfCommand } from "./report.ts";
export type { CheckResult } from "./types.ts";

export const CHECKS = [
  { label: "sandbox", check: sandboxCheck },
  { label: "bridge root", check: rootCheck },
  { label: "worker", check: workerCheck },
  { label: "process tracking", check: trackingCheck() },
  { label: "claude CLI", check: claudeCheck },
  { label: "MCP servers", check: serversCheck },
];

/** The real-world dependencies of the checks. */
export function realDoctorDeps(config: Config): DoctorDeps {
  return {
    config,
    env: process.env,
    which: (cmd) => Bun.which(cmd) ?? undefined,
    async spawn(argv, opts = {}) {
      try {
        const proc = Bun.spawn(argv, {
          env: opts.env as Record<string, string>,
          stdin: "ignore",
          stdout: "pipe",
          stderr: "pipe",
          timeout: opts.timeoutMs,
          killSignal: "SIGKILL",
        });
        const [stdout, stderr, code] = await Promise.all([
          new Response(proc.stdout).text(),
          new Response(proc.stderr).text(),
          proc.exited,
        ]);
        return { code, stdout, stderr };
      } catch (err) {
        return { code: null, stdout: "", stderr: (err as Error).message, notFound: true };
      }
    },
    stat(path) {
      try {
        const s = lstatSync(path);
        return { mode: s.mode, isSymlink: s.isSymbolicLink(), isDirectory: s.isDirectory() };
      } catch {
        return undefined;
      }
    },
    readText(path) {
      try {
        return readFileSync(path, "utf8");
      } catch {
        return undefined;
      }
    },
    now: () => Date.now(),
  };
}

/** Runs all checks against this machine; configuration problems come first, as failed checks. */
export async function runDoctor(
  config: Config,
  configProblems: ConfigProblem[] = [],
  configFile = "the config file",
): Promise<CheckResult[]> {
  return [...configResults(configProblems, configFile), ...(await runChecks(CHECKS, realDoctorDeps(config)))];
}
