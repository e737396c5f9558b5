/**
 * `claude auth status` as a pre-flight check: it prints JSON and exits 1 when not logged in, and
 * spends no tokens. Run once per worker start; the result is reported, never used to block runs
 * (with ANTHROPIC_API_KEY set the CLI may still say loggedIn:false, yet runs work).
 */
import { spawn } from "node:child_process";

export type AuthState = "logged_in" | "not_logged_in" | "cli_missing" | "unknown";

export interface AuthReport {
  state: AuthState;
  /** e.g. "claude.ai", "api_key" (from the CLI's authMethod). */
  method?: string;
  /** One line for the log. */
  detail: string;
}

/** Reads `claude auth status` output (pure). */
export function parseAuthStatus(exitCode: number | null, stdout: string, stderr: string): AuthReport {
  let json: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(stdout.trim());
    if (parsed && typeof parsed === "object") json = parsed as Record<string, unknown>;
  } catch {
    // Older CLIs print text; fall through.
  }
  const method = typeof json?.authMethod === "string" ? json.authMethod : undefined;
  if (json?.loggedIn === true)
    return { state: "logged_in", method, detail: `Claude Code is logged in (${method ?? "unknown method"}).` };
  if (json?.loggedIn === false || exitCode === 1) {
    return {
      state: "not_logged_in",
      method,
      detail: "Claude Code is not logged in: run `claude` once and use /login (escalations will fail until then).",
    };
  }
  const why = (stderr || stdout).trim().split("\n")[0]?.slice(0, 200) || `exit code ${exitCode}`;
  return { state: "unknown", detail: `Could not read \`claude auth status\`: ${why}` };
}

/** Runs `<bin> auth status` with a time limit. */
export function checkClaudeAuth(bin: string, env: Record<string, string>, timeoutMs = 15_000): Promise<AuthReport> {
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let done = false;
    const finish = (report: AuthReport) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(report);
    };
    const child = spawn(bin, ["auth", "status"], { env, stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish({ state: "unknown", detail: `\`${bin} auth status\` did not answer within ${timeoutMs / 1000}s.` });
    }, timeoutMs);
    child.on("error", (err: NodeJS.ErrnoException) =>
      finish({
        state: "cli_missing",
        detail: `Claude Code CLI not found or not runnable (${bin}): ${err.message}. Install it or set BRIDGE_CLAUDE_BIN.`,
      }),
    );
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("close", (code) => finish(parseAuthStatus(code, stdout, stderr)));
  });
}
