/** What every tool module receives: the config, the logger and a way to register cleanup. */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ConsolaInstance } from "consola";
import type { Config } from "../config/index.ts";
import type { SandboxExtension } from "../sandbox/extension.ts";

export interface ServerContext {
  config: Config;
  log: ConsolaInstance;
  /** Registers cleanup that runs when `serve` shuts down (containers, upstream clients, timers). */
  onShutdown(fn: () => Promise<void> | void): void;
  /** Extensions that tool modules registered earlier add for run_python (MCP proxies, memory). */
  sandboxExtensions: SandboxExtension[];
  /**
   * Set when the server is built only to read its tools/list (`bridge discover --tools`):
   * modules must register their tools but start nothing (no engine check, pool, processes, timers).
   */
  inspectOnly?: boolean;
}

/** A tool module: registers one or more tools (and their resources) on the server. */
export type ToolModule = (server: McpServer, ctx: ServerContext) => void;
