/**
 * The `script` job handler: resolves the name against the whitelist (again, at run time), checks
 * argv against the manifest schema, runs it, and reports the exit code and output. A non-zero exit,
 * a timeout or a signal is a failure, never a success.
 */
import { BridgeError } from "../errors.ts";
import { resolveScript, validateArgs } from "../host-scripts/catalog.ts";
import { runProcess } from "../host-scripts/run.ts";
import { workerTracking } from "../process/tracking.ts";
import { jobRedactor } from "./redact.ts";
import type { ScriptOutcome } from "../queue/outcome.ts";
import type { HandlerResult, JobHandler } from "../queue/types.ts";

const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

/** Runs a whitelisted script. */
export const runScriptJob: JobHandler<"script"> = async (job, ctx): Promise<HandlerResult> => {
  const { name, args, stdin } = job.body;
  let script: Awaited<ReturnType<typeof resolveScript>>;
  try {
    script = await resolveScript(ctx.workerOptions.scriptsDir, name);
    validateArgs(script, args);
  } catch (err) {
    if (err instanceof BridgeError)
      return { ok: false, outcome: { name }, error: { code: err.code, message: err.message, hint: err.hint } };
    throw err;
  }
  const env: Record<string, string> = { PATH: process.env.PATH || DEFAULT_PATH, BRIDGE_JOB_ID: job.id };
  for (const key of script.env) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  const timeoutMs = script.timeoutMs ?? ctx.workerOptions.timeoutMs;
  ctx.progress({ message: `running script ${name}` });
  let run: Awaited<ReturnType<typeof runProcess>>;
  try {
    run = await runProcess({
      path: script.path,
      args,
      cwd: script.cwd,
      env,
      stdin,
      timeoutMs,
      maxOutput: ctx.config.maxOutput,
      signal: ctx.signal,
      watchPid: process.pid,
      processes: workerTracking().forJob(job.id),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return {
      ok: false,
      outcome: { name },
      error: {
        code: "SCRIPT_FAILED",
        message: `Script "${name}" could not be started: ${e.code ?? ""} ${e.message}`.trim(),
        hint: `Check that ${script.path} has a valid #! line and that its working directory ${script.cwd} exists.`,
      },
    };
  }
  const notes: string[] = [];
  if (run.leftovers)
    notes.push(
      `${run.leftovers} background process${run.leftovers === 1 ? " was" : "es were"} still running when the script exited; stopped (a job's processes end with it).`,
    );
  if (run.outputClosed)
    notes.push(
      "Its output was still held open after it exited, by a process bridge could not reach; bridge closed it.",
    );
  const scrub = jobRedactor(ctx.config.redact, ctx.config.redactPatterns);
  const [stdout, stderr] = [await scrub.text(run.stdout), await scrub.text(run.stderr)];
  const redacted = scrub.summary();
  if (redacted)
    notes.push(`${redacted.count} secret${redacted.count === 1 ? "" : "s"} redacted (${redacted.kinds.join(", ")}).`);
  const outcome: ScriptOutcome = {
    ...(notes.length ? { note: notes.join(" ") } : {}),
    ...(redacted ? { redacted } : {}),
    name,
    exit_code: run.exitCode,
    signal: run.signal,
    stdout,
    stderr,
    truncated: run.truncated,
    timed_out: run.timedOut,
    duration_ms: run.durationMs,
  };
  if (run.timedOut) {
    return {
      ok: false,
      outcome,
      error: {
        code: "TIMEOUT",
        message: `Script "${name}" ran longer than ${timeoutMs} ms and was stopped.`,
        hint: "Raise its timeout in the manifest, or the worker's --timeout.",
      },
    };
  }
  if (run.aborted)
    return { ok: false, outcome, error: { code: "CANCELLED", message: `Script "${name}" was stopped.` } };
  if (run.exitCode !== 0) {
    const how = run.exitCode === null ? `was killed by ${run.signal}` : `exited with code ${run.exitCode}`;
    return {
      ok: false,
      outcome,
      error: { code: "SCRIPT_FAILED", message: `Script "${name}" ${how}.`, hint: "See stdout/stderr in the outcome." },
    };
  }
  return { ok: true, outcome };
};
