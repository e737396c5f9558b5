/**
 * Builds the services `serve` shares between its tools, once per server and only for the enabled
 * tool groups: with the sandbox group, the upstream registry and memory store (as sandbox
 * extensions) and the SandboxService; for the queue groups, the queue client (opened on first use,
 * so a bridge that never queues a job creates no queue directories) and the script catalog reader.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { ConsolaInstance } from "consola";
import { formatBytes, type Config } from "../config/index.ts";
import { readCatalog } from "../queue/catalog.ts";
import { openQueue } from "../queue/client.ts";
import { queueLayout } from "../queue/layout.ts";
import { readSecret } from "../queue/token.ts";
import type { QueueClient } from "../queue/types.ts";
import { defaultEngineDeps } from "../sandbox/engine.ts";
import { SandboxService } from "../sandbox/service.ts";
import { createSandboxExtensions } from "../upstream/sandbox-extensions.ts";
import type { Services } from "./context.ts";
import { OuterClientLink } from "./outer-client.ts";
import { ResultFileStore } from "./resources/files.ts";

/**
 * Ceiling for run_python's result text over MCP, as JSON-escaped bytes: the SDK's stdio transports
 * reject messages over 10 MB; output over 512 KiB travels once (structuredContent only), next to at
 * most 2 MiB of images (base64). `bridge run` has no such limit.
 */
export const MCP_OUTPUT_LIMIT = 4 * 1024 * 1024;
/** The sandbox keeps this many times the MCP limit of raw output, so the JSON-escaped cut (src/output/fit.ts) decides what is shown. */
const RAW_OUTPUT_FACTOR = 4;

/** run_python's result size over MCP: MCP_BRIDGE_MAX_OUTPUT, at most MCP_OUTPUT_LIMIT (JSON-escaped bytes). */
export function mcpResultLimit(config: Pick<Config, "maxOutput">): number {
  return Math.min(config.maxOutput, MCP_OUTPUT_LIMIT);
}

export interface ServiceOptions {
  config: Config;
  log: ConsolaInstance;
  onShutdown(fn: () => Promise<void> | void): void;
  /** Build only what tools/list needs: start nothing (no engine check, pool, processes, timers). */
  inspectOnly?: boolean;
}

export interface BuiltServices {
  services: Services;
  sandboxReachesServers: boolean;
  /** Starts background work (the warm pool): called once the client has initialized. */
  warm(): void;
  /** Connects the upstream servers to the MCP server's client (its capabilities, roots, roots changes). */
  attachClient(server: Server): void;
}

/** The real services for the enabled groups, except those in `given` (tests pass fakes). */
export function buildServices(opts: ServiceOptions, given: Partial<Services> = {}): BuiltServices {
  const { config, log, onShutdown } = opts;
  const outer = new OuterClientLink();
  let sandbox = given.sandbox;
  let reachesServers = false;
  let warm = () => {};
  if (!sandbox && config.tools.includes("sandbox")) {
    // Building the extensions starts nothing (servers start on first use).
    const upstream = createSandboxExtensions(config, log, outer);
    onShutdown(upstream.close);
    reachesServers = upstream.extensions.length > 0;
    if (config.maxOutput > MCP_OUTPUT_LIMIT) {
      log.warn(
        `MCP_BRIDGE_MAX_OUTPUT (${formatBytes(config.maxOutput)}) is more than an MCP message can safely carry; run_python output is capped at ${formatBytes(MCP_OUTPUT_LIMIT)}.`,
      );
    }
    const sandboxConfig = { ...config, maxOutput: mcpResultLimit(config) * RAW_OUTPUT_FACTOR };
    // serve never pulls an image by itself: a missing one is an error that says how to get it.
    const service = new SandboxService(sandboxConfig, {
      engine: defaultEngineDeps(),
      log,
      extensions: upstream.extensions,
      pullImage: false,
    });
    onShutdown(() => service.shutdown());
    if (!opts.inspectOnly) warm = () => service.warm();
    sandbox = service;
  }

  const files = given.files ?? (config.tools.includes("sandbox") ? new ResultFileStore() : undefined);
  let queue: QueueClient | undefined;
  const layout = queueLayout(config.root);
  return {
    services: {
      sandbox,
      ...(files ? { files } : {}),
      queue: given.queue ?? (() => (queue ??= openQueue(config))),
      catalog: given.catalog ?? (() => readCatalog(layout, readSecret(config))),
    },
    sandboxReachesServers: reachesServers,
    warm,
    attachClient: (server) => outer.attach(server),
  };
}
