/** The tools `serve` exposes, in tools/list order: one file per tool. */
import type { ToolModule } from "../context.ts";
import { registerCancelJob } from "./cancel-job.ts";
import { registerEscalate } from "./escalate.ts";
import { registerGetJob } from "./get-job.ts";
import { registerListJobs } from "./list-jobs.ts";
import { registerListScripts } from "./list-scripts.ts";
import { registerRunPython } from "./run-python.ts";
import { registerRunScript } from "./run-script.ts";

export const TOOL_MODULES: ToolModule[] = [
  registerRunPython, registerListScripts, registerRunScript, registerEscalate, registerGetJob, registerCancelJob, registerListJobs,
];
