/**
 * Builds the `claude` command line and environment for one job. The prompt never appears here: it
 * goes to stdin, so a request such as `--help` stays text. Values that come from the job (session id,
 * model) are validated and passed in `--flag=value` form so they cannot be read as other flags.
 */
import { randomUUID } from "node:crypto";
import { BridgeError } from "../../errors.ts";
import type { PermissionMode } from "../../queue/types.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MODEL = /^[A-Za-z0-9][A-Za-z0-9._:@\[\]-]{0,99}$/;
/** Environment variables never handed to Claude Code (it runs arbitrary tools). */
export const DROPPED_ENV = ["CLAUDECODE", "BRIDGE_TOKEN", "BRIDGE_TOKEN_FILE"] as const;

/** What decides the command line, after the job was checked against the worker's limits. */
export interface ClaudeCommandSpec {
  permissionMode: PermissionMode;
  /** Continue this session (`--resume=<id>`); otherwise a new session with `sessionId`. */
  resume?: string;
  sessionId: string;
  model?: string;
  maxTurns?: number;
  maxBudgetUsd?: number;
  allowedTools: string[];
  disallowedTools: string[];
  /**
   * Load the project's own settings in the job's directory (`.claude/settings.json`,
   * `settings.local.json`, `.mcp.json`, project skills and commands). False unless the worker owner
   * trusts that directory: otherwise `--setting-sources=user`, since `-p` skips the trust dialog and
   * a repository's hooks, env, apiKeyHelper or MCP servers would run code above the permission ceiling.
   */
  projectSettings?: boolean;
}

/** Validates a job's session_id (a UUID) and returns it; throws a clear error otherwise. */
export function checkSessionId(id: unknown): string {
  if (typeof id !== "string" || !UUID.test(id)) {
    throw new BridgeError(
      "CLAUDE_FAILED",
      `session_id must be a Claude Code session UUID (got ${JSON.stringify(String(id).slice(0, 60))}).`,
      {
        hint: "Use the session_id from an earlier escalate_to_claude outcome.",
      },
    );
  }
  return id.toLowerCase();
}

/** Validates a model name or alias (e.g. "sonnet", "claude-sonnet-4-5", "opus[1m]"). */
export function checkModel(model: unknown): string {
  if (typeof model !== "string" || !MODEL.test(model)) {
    throw new BridgeError(
      "CLAUDE_FAILED",
      `model ${JSON.stringify(String(model).slice(0, 60))} is not a valid model name.`,
      {
        hint: 'Use an alias such as "sonnet" or "opus", or a full model id.',
      },
    );
  }
  return model;
}

/**
 * The number of turns a job may use: its own request, capped by the worker's limit (0 = none).
 * Throws for values that are not positive whole numbers.
 */
export function effectiveMaxTurns(requested: unknown, workerLimit: number): number | undefined {
  if (
    requested !== undefined &&
    (typeof requested !== "number" || !Number.isInteger(requested) || requested < 1 || requested > 10_000)
  ) {
    throw new BridgeError(
      "CLAUDE_FAILED",
      `max_turns must be a whole number from 1 to 10000 (got ${JSON.stringify(requested)}).`,
    );
  }
  const limit = workerLimit > 0 ? workerLimit : undefined;
  if (requested === undefined) return limit;
  return limit === undefined ? requested : Math.min(requested, limit);
}

/** A fresh session id for a new conversation. */
export const newSessionId = (): string => randomUUID();

/** The argv after the binary. */
export function buildClaudeArgs(spec: ClaudeCommandSpec): string[] {
  const args = ["-p", "--output-format", "stream-json", "--verbose", `--permission-mode=${spec.permissionMode}`];
  if (!spec.projectSettings) args.push("--setting-sources=user");
  args.push(spec.resume ? `--resume=${spec.resume}` : `--session-id=${spec.sessionId}`);
  if (spec.model) args.push(`--model=${spec.model}`);
  if (spec.maxTurns !== undefined) args.push(`--max-turns=${spec.maxTurns}`);
  if (spec.maxBudgetUsd !== undefined && spec.maxBudgetUsd > 0) args.push(`--max-budget-usd=${spec.maxBudgetUsd}`);
  if (spec.allowedTools.length) args.push(`--allowedTools=${spec.allowedTools.join(",")}`);
  if (spec.disallowedTools.length) args.push(`--disallowedTools=${spec.disallowedTools.join(",")}`);
  return args;
}

/** The child's environment: the worker's, minus DROPPED_ENV. Reports whether an API key will be used. */
export function buildClaudeEnv(base: Record<string, string | undefined>): {
  env: Record<string, string>;
  apiKeyOverrides: boolean;
} {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined && !(DROPPED_ENV as readonly string[]).includes(key)) env[key] = value;
  }
  return { env, apiKeyOverrides: Boolean(env.ANTHROPIC_API_KEY) };
}
