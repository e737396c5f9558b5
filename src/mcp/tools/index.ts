/** The tools `serve` can expose, in tools/list order: one file per tool, each in a group (MCP_BRIDGE_TOOLS). */
import type { ToolModule } from "../context.ts";
import { cancelJob } from "./cancel-job.ts";
import { escalate } from "./escalate.ts";
import { getJob } from "./get-job.ts";
import { runPython } from "./run-python.ts";
import { runScript } from "./run-script.ts";

export const TOOL_MODULES: ToolModule[] = [runPython, escalate, runScript, getJob, cancelJob];
