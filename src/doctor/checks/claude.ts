/** Doctor check: is the Claude Code CLI installed and logged in (for escalate_to_claude)? */
import { buildClaudeEnv } from "../../worker/claude/command.ts";
import { parseAuthStatus } from "../../worker/claude/preflight.ts";
import type { Check, CheckResult } from "../types.ts";

const INSTALL = "npm install -g @anthropic-ai/claude-code";

export const claudeCheck: Check = async (deps) => {
  const bin = deps.config.claudeBin || deps.which("claude");
  if (!bin) {
    return {
      name: "claude CLI",
      status: "warn",
      detail: "not found on PATH: escalate_to_claude jobs will fail",
      fix: INSTALL,
    };
  }
  const version = await deps.spawn([bin, "--version"], { timeoutMs: 15_000 });
  if (version.code !== 0) {
    return {
      name: "claude CLI",
      status: "fail",
      detail: `${bin} --version failed: ${firstLine(version.stderr || version.stdout)}`,
      fix: `reinstall it: ${INSTALL}`,
    };
  }
  const results: CheckResult[] = [
    { name: "claude CLI", status: "ok", detail: `${firstLine(version.stdout)} (${bin})` },
  ];
  // The same environment and the same reading of `claude auth status` as the worker's pre-flight.
  const { env, apiKeyOverrides } = buildClaudeEnv(deps.env);
  const auth = await deps.spawn([bin, "auth", "status"], { timeoutMs: 15_000, env });
  const report = parseAuthStatus(auth.code, auth.stdout, auth.stderr);
  if (report.state === "logged_in")
    results.push({ name: "claude login", status: "ok", detail: `logged in (${report.method ?? "unknown method"})` });
  else if (report.state === "not_logged_in")
    results.push({
      name: "claude login",
      status: "warn",
      detail: 'not logged in: escalations will fail with "Not logged in"',
      fix: "run `claude` once and log in with /login (uses your Claude subscription)",
    });
  else
    results.push({
      name: "claude login",
      status: "warn",
      detail: `could not tell: ${report.detail}`,
      fix: "run `claude auth status` to see why",
    });
  if (apiKeyOverrides) {
    results.push({
      name: "claude billing",
      status: "warn",
      detail: "ANTHROPIC_API_KEY is set: the worker's claude runs bill that API key, not your subscription",
      fix: "unset ANTHROPIC_API_KEY in the worker's environment to use your subscription",
    });
  }
  return results;
};

function firstLine(s: string): string {
  return s.trim().split("\n")[0]?.slice(0, 200) || "(no output)";
}
