/** Doctor check: is the Claude Code CLI installed and logged in (for escalate_to_claude)? */
import type { Check, CheckResult } from "../types.ts";

const INSTALL = "npm install -g @anthropic-ai/claude-code";

export const claudeCheck: Check = async (deps) => {
  const bin = deps.env.BRIDGE_CLAUDE_BIN || deps.which("claude");
  if (!bin) {
    return { name: "claude CLI", status: "warn", detail: "not found on PATH: escalate_to_claude jobs will fail", fix: INSTALL };
  }
  const version = await deps.spawn([bin, "--version"], { timeoutMs: 15_000 });
  if (version.code !== 0) {
    return { name: "claude CLI", status: "fail", detail: `${bin} --version failed: ${firstLine(version.stderr || version.stdout)}`, fix: `reinstall it: ${INSTALL}` };
  }
  const results: CheckResult[] = [{ name: "claude CLI", status: "ok", detail: `${firstLine(version.stdout)} (${bin})` }];
  const env = { ...deps.env, CLAUDECODE: undefined };
  const auth = await deps.spawn([bin, "auth", "status"], { timeoutMs: 15_000, env });
  let loggedIn: boolean | undefined;
  try {
    loggedIn = JSON.parse(auth.stdout).loggedIn === true;
  } catch {
    loggedIn = auth.code === 0 ? true : undefined;
  }
  if (loggedIn) results.push({ name: "claude login", status: "ok", detail: "logged in" });
  else if (loggedIn === false) results.push({ name: "claude login", status: "warn", detail: "not logged in: escalations will fail with \"Not logged in\"", fix: "run `claude` once and log in with /login (uses your Claude subscription)" });
  else results.push({ name: "claude login", status: "warn", detail: `could not tell (\`claude auth status\` exit ${auth.code}): ${firstLine(auth.stderr || auth.stdout)}`, fix: "run `claude auth status` to see why" });
  if (deps.env.ANTHROPIC_API_KEY) {
    results.push({ name: "claude billing", status: "warn", detail: "ANTHROPIC_API_KEY is set: the worker's claude runs bill that API key, not your subscription", fix: "unset ANTHROPIC_API_KEY in the worker's environment to use your subscription" });
  }
  return results;
};

function firstLine(s: string): string {
  return s.trim().split("\n")[0]?.slice(0, 200) || "(no output)";
}
