/**
 * What every tool module receives: the config, the logger and the services the server factory
 * built once (sandbox, queue, script catalog). Tests hand tools fakes through the same object.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ConsolaInstance } from "consola";
import type { Config } from "../config/index.ts";
import type { RunOutcome } from "../output/format.ts";
import type { Catalog } from "../queue/catalog.ts";
import type { QueueClient } from "../queue/types.ts";
import type { RunRequest } from "../sandbox/service.ts";

/** The services tools use. Each is built once per server (src/mcp/services.ts). */
export interface Services {
  /** Runs Python in a sandbox container (SandboxService). */
  sandbox: { run(req: RunRequest): Promise<RunOutcome> };
  /** The file queue; opened on first use, since opening creates the queue directories. */
  queue(): QueueClient;
  /** The script catalog the worker published, or undefined when none was. */
  catalog(): Catalog | undefined;
}

export interface ToolContext {
  config: Config;
  log: ConsolaInstance;
  services: Services;
  /** True when code in run_python can reach other MCP servers (sandbox extensions are installed). */
  sandboxReachesServers: boolean;
}

/** A tool module: registers one tool on the server. */
export type ToolModule = (server: McpServer, ctx: ToolContext) => void;
