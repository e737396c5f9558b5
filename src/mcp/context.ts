/**
 * What every tool module receives: the config, the logger, the services the server factory built
 * once (sandbox, queue, script catalog) and `register`, which declares a tool (src/mcp/tool-def.ts).
 * Tests hand tools fakes through the same object.
 */
import type { ConsolaInstance } from "consola";
import type { Config } from "../config/index.ts";
import type { RunOutcome } from "../output/format.ts";
import type { Catalog } from "../queue/catalog.ts";
import type { QueueClient } from "../queue/types.ts";
import type { RunRequest } from "../sandbox/service.ts";
import type { ResultFileStore } from "./resources/files.ts";
import type { RegisterTool, ToolGroup } from "./tool-def.ts";

/** Runs Python in a sandbox container (SandboxService). */
export interface SandboxRunner {
  run(req: RunRequest): Promise<RunOutcome>;
}

/** The services tools use, each built once per server (src/mcp/services.ts). */
export interface Services {
  /** Present when the sandbox group is on. */
  sandbox?: SandboxRunner;
  /** Result files of run_python calls, readable as resources (with the sandbox group). */
  files?: ResultFileStore;
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
  register: RegisterTool;
}

/** A tool module: declares one tool of a group. */
export interface ToolModule {
  group: ToolGroup;
  register(ctx: ToolContext): void;
}
