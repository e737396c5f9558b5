/** The tool modules `serve` exposes, in tools/list order. One file per tool (or tool family). */
import type { ToolModule } from "../context.ts";
import { registerMcpProxy } from "./mcp-proxy.ts";
import { registerRunPython } from "./run-python.ts";
import { registerRunScript } from "./run-script.ts";
import { registerJobTools } from "./jobs.ts";
import { registerEscalate } from "./escalate.ts";

// registerMcpProxy adds the MCP-proxy and memory sandbox extensions: keep it before run_python.
export const TOOL_MODULES: ToolModule[] = [registerMcpProxy, registerRunPython, registerRunScript, registerEscalate, registerJobTools];
