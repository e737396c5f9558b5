/**
 * The `claude` job handler: checks the job against the worker's limits (cwd inside an allow-root,
 * permission mode at or below the ceiling, valid session id and model), runs `claude -p`, and
 * returns the classified outcome. Also the once-per-worker `claude auth status` pre-flight.
 */
import type { ConsolaInstance } from "consola";
import type { Config } from "../../config/index.ts";
import { BridgeError } from "../../errors.ts";
import type { HandlerResult, JobHandler } from "../../queue/types.ts";
import {
  buildClaudeArgs,
  buildClaudeEnv,
  checkModel,
  checkSessionId,
  effectiveMaxTurns,
  newSessionId,
} from "./command.ts";
import { isInside, resolveJobCwd } from "./cwd.ts";
import type { ClaudeOutcome } from "../../queue/outcome.ts";
import { classifyRun, clipResult, SUCCESS_MESSAGE, type RunFacts } from "./outcome.ts";
import type { ClaudeCommandSpec } from "./command.ts";
import { effectivePermissionMode } from "./permissions.ts";
import { checkClaudeAuth, type AuthReport } from "./preflight.ts";
import { nodeRunnerDeps, runClaude, type RunnerDeps } from "./runner.ts";
import { workerTracking } from "../../process/tracking.ts";
import { jobRedactor } from "../redact.ts";

/** The CLI the worker runs. */
export const claudeBin = (config: Config): string => config.claudeBin ?? "claude";

let preflight: Promise<AuthReport> | undefined;

/**
 * Checks `claude auth status` once per process and logs the result (a warning when not logged in
 * or the CLI is missing). Never throws; later calls return the first answer.
 */
export function preflightClaude(
  config: Config,
  log: ConsolaInstance,
  env: Record<string, string | undefined> = process.env,
): Promise<AuthReport> {
  preflight ??= (async () => {
    const { env: childEnv, apiKeyOverrides } = buildClaudeEnv(env);
    if (apiKeyOverrides) {
      log.warn(
        "claude: ANTHROPIC_API_KEY is set in the worker's environment; Claude Code will bill that API key instead of the user's subscription login.",
      );
    }
    const report = await checkClaudeAuth(claudeBin(config), childEnv);
    if (report.state === "logged_in") log.info(`claude: ${report.detail}`);
    else if (report.state === "not_logged_in" && apiKeyOverrides)
      log.info("claude: not logged in to a subscription; runs will use ANTHROPIC_API_KEY.");
    else log.warn(`claude: ${report.detail}`);
    return report;
  })();
  return preflight;
}

/** An outcome for a job the worker refused before starting Claude. */
function refusedOutcome(message: string, sessionId: string | null): ClaudeOutcome {
  return {
    classification: "refused",
    message,
    result: null,
    session_id: sessionId,
    total_cost_usd: null,
    num_turns: null,
    duration_ms: 0,
    permission_denials: [],
    is_error: true,
    subtype: null,
    exit_code: null,
    api_error_status: null,
  };
}

/** What the handler takes from its surroundings (tests swap them). */
export interface ClaudeHandlerDeps {
  runner?: RunnerDeps;
  /** The environment the CLI inherits (minus CLAUDECODE and the queue secret). Default: process.env. */
  env?: Record<string, string | undefined>;
  isRoot?: boolean;
}

/** Builds the handler. */
export function createClaudeHandler(deps: ClaudeHandlerDeps = {}): JobHandler<"claude"> {
  const baseEnv = deps.env ?? process.env;
  const isRoot = deps.isRoot ?? process.getuid?.() === 0;
  /** Sessions being run by this handler → job id: two CLIs must not write one session at once. */
  const activeSessions = new Map<string, string>();
  return async (job, ctx): Promise<HandlerResult> => {
    const { body } = job;
    const { config, workerOptions, log } = ctx;
    let plan: { cwd: string; spec: ClaudeCommandSpec };
    try {
      if (typeof body.request !== "string" || body.request.trim() === "") {
        throw new BridgeError("CLAUDE_FAILED", "The request is empty.", {
          hint: "Describe the task for Claude Code in request.",
        });
      }
      const resume = body.session_id !== undefined ? checkSessionId(body.session_id) : undefined;
      const holder = resume && activeSessions.get(resume);
      if (holder) {
        throw new BridgeError(
          "CLAUDE_FAILED",
          `Session ${resume} is in use by job ${holder}, which is still running.`,
          {
            hint: `Wait for ${holder} (get_job) and then continue the session, or cancel it first.`,
          },
        );
      }
      const cwd = resolveJobCwd(body.cwd, workerOptions.allowRoots);
      const trust = workerOptions.trustProjectSettings ?? [];
      plan = {
        cwd,
        spec: {
          projectSettings: trust === "all" || trust.some((root) => isInside(cwd, root)),
          permissionMode: effectivePermissionMode(body.permission_mode, workerOptions.permissionMode, isRoot),
          resume,
          sessionId: resume ?? newSessionId(),
          model: body.model !== undefined ? checkModel(body.model) : config.claudeModel,
          maxTurns: effectiveMaxTurns(body.max_turns, config.claudeMaxTurns),
          maxBudgetUsd: config.claudeMaxBudgetUsd || undefined,
          allowedTools: config.claudeAllowedTools,
          disallowedTools: config.claudeDisallowedTools,
        },
      };
    } catch (err) {
      if (!(err instanceof BridgeError)) throw err;
      log.warn(`claude job ${job.id} refused: ${err.message}`);
      return {
        ok: false,
        outcome: refusedOutcome(err.message, null),
        error: { code: err.code, message: err.message, hint: err.hint },
      };
    }

    const { sessionId } = plan.spec;
    activeSessions.set(sessionId, job.id);
    const scrub = jobRedactor(config.redact, config.redactPatterns);
    // Progress is redacted in order: each line waits for the one before it.
    let progressChain = Promise.resolve();
    const progress = (event: { message: string; data?: unknown }) => {
      progressChain = progressChain
        .then(async () => ctx.progress({ ...event, message: await scrub.text(event.message) }))
        .catch(() => {});
    };
    let facts: RunFacts;
    try {
      // Logged once per worker, never a reason to hold the job: the run says what is wrong anyway.
      void preflightClaude(config, log, baseEnv);
      const { env } = buildClaudeEnv(baseEnv);
      ctx.checkpoint({ session_id: sessionId });
      log.info(
        `claude job ${job.id}: ${plan.spec.resume ? "resuming" : "new"} session ${sessionId} in ${plan.cwd} (${plan.spec.permissionMode}, ${plan.spec.projectSettings ? "project settings trusted" : "user settings only"})`,
      );
      facts = await runClaude(
        {
          bin: claudeBin(config),
          args: buildClaudeArgs(plan.spec),
          cwd: plan.cwd,
          env,
          prompt: body.request,
          timeoutMs: workerOptions.timeoutMs,
          signal: ctx.signal,
          onProgress: progress,
          // Redact the answer while the CLI shuts down (it exits some 50 ms after printing it).
          onResult: (r) => {
            const text = clipResult(r.result);
            if (text !== null) scrub.prepare(text);
            scrub.prepare(SUCCESS_MESSAGE);
          },
          processes: workerTracking().forJob(job.id),
        },
        deps.runner ?? nodeRunnerDeps,
      );
    } finally {
      activeSessions.delete(sessionId);
    }
    await progressChain;
    const classified = classifyRun(facts);
    const { outcome } = classified;
    if (outcome.result !== null) outcome.result = await scrub.text(outcome.result);
    outcome.message = await scrub.text(outcome.message);
    for (const d of outcome.permission_denials) {
      if (d.tool_input === undefined) continue;
      const text = await scrub.text(JSON.stringify(d.tool_input));
      try {
        d.tool_input = JSON.parse(text);
      } catch {
        d.tool_input = text;
      }
    }
    const redacted = scrub.summary();
    if (redacted) outcome.redacted = redacted;
    if (classified.error) classified.error.message = await scrub.text(classified.error.message);
    log.info(
      `claude job ${job.id}: ${outcome.classification} (exit ${outcome.exit_code ?? facts.signal ?? "-"}, ${outcome.num_turns ?? 0} turns, $${outcome.total_cost_usd ?? 0})`,
    );
    return classified;
  };
}

/** The handler registered in src/worker/handlers.ts. */
export const runClaudeJob: JobHandler<"claude"> = createClaudeHandler();
