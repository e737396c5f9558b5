/** The tool modules `serve` exposes, in tools/list order. One file per tool (or tool family). */
import type { ToolModule } from "../context.ts";

export const TOOL_MODULES: ToolModule[] = [];
