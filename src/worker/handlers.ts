/**
 * Job kind → handler. The worker looks a job's handler up here; a kind with no entry is failed
 * with a clear error rather than dropped. The claude handler (src/worker/claude/index.ts) adds its
 * line here.
 */
import type { JobHandler, JobKind } from "../queue/types.ts";
import { runClaudeJob } from "./claude/index.ts";
import { runScriptJob } from "./script-job.ts";

/** The registered handlers. */
export const HANDLERS: { [K in JobKind]?: JobHandler<K> } = {
  script: runScriptJob,
  claude: runClaudeJob,
};

/** The handler for a kind, or undefined when this build has none. */
export function handlerFor<K extends JobKind>(kind: K): JobHandler<K> | undefined {
  return HANDLERS[kind] as JobHandler<K> | undefined;
}
