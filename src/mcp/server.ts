/**
 * The MCP server factory: builds the services for the enabled tool groups once, registers those
 * groups' tools, and answers tools/list with the compact definitions of src/mcp/tool-def.ts.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ListToolsRequestSchema, type Tool } from "@modelcontextprotocol/sdk/types.js";
import type { Config, ToolGroup } from "../config/index.ts";
import { resolveFolders, type Folders } from "../sandbox/folders.ts";
import { VERSION } from "../version.ts";
import type { Services, ToolContext } from "./context.ts";
import { registerCapabilities } from "./resources/capabilities.ts";
import { registerResultFiles } from "./resources/files.ts";
import { buildServices, type ServiceOptions } from "./services.ts";
import { annotationsFor, lenientShape, listedTool, type RegisterTool } from "./tool-def.ts";
import { TOOL_MODULES } from "./tools/index.ts";

/** Where run_python code finds the user's files and leaves its own (from the folder settings; never throws). */
export function filesSentence(
  config: Pick<Config, "folders" | "outputFolder" | "root" | "stateDir" | "tokenFile">,
): string {
  let folders: Folders;
  try {
    folders = resolveFolders(config);
  } catch {
    return "Files it writes to /output come back with the result.";
  }
  const list = (writable: boolean) =>
    folders.read
      .filter((f) => f.writable === writable)
      .map((f) => `${f.mount} (${f.host})`)
      .join(", ");
  const [read, write] = [list(false), list(true)];
  return [
    read ? `Its code can read the user's folders ${read}, read-only.` : "",
    write ? `It can read and write the user's folders ${write}: changes there are the user's files, kept.` : "",
    `Files it writes to /output come back with the result${folders.output ? ` and are saved to ${folders.output}` : ""}.`,
  ]
    .filter(Boolean)
    .join(" ");
}

/** Shown to the model once at initialize, for the groups that are on. */
export function instructionsFor(groups: readonly ToolGroup[], files?: string): string {
  const lines = ["bridge gives you safe local execution."];
  if (groups.includes("sandbox")) {
    lines.push(
      "run_python runs Python in an isolated, network-less container; the user's other MCP servers are reachable from that code",
      "(await search_tool_docs(query), await mcp_<server>.<tool>(...), discovered_servers()) instead of as separate tools.",
    );
    if (files) lines.push(files);
  }
  if (groups.includes("escalation"))
    lines.push("escalate_to_claude hands a task to Claude Code on the user's machine.");
  if (groups.includes("scripts")) lines.push("run_script runs the user's whitelisted host scripts.");
  return lines.join(" ");
}

export interface ServerOptions extends ServiceOptions {
  /** Services to use instead of the real ones (tests). */
  services?: Partial<Services>;
}

/** Builds a server with the enabled groups' tools over services built for it. */
export function createServer(opts: ServerOptions): McpServer {
  const groups = opts.config.tools;
  const built = buildServices(opts, opts.services);
  const server = new McpServer(
    { name: "bridge", title: "bridge", version: VERSION },
    {
      instructions: instructionsFor(groups, groups.includes("sandbox") ? filesSentence(opts.config) : undefined),
      capabilities: { logging: {} },
    },
  );
  built.attachClient(server.server);
  const listed: Tool[] = [];
  const register: RegisterTool = (spec, handler) => {
    server.registerTool(
      spec.name,
      {
        description: spec.description,
        inputSchema: lenientShape(spec.input),
        ...(spec.output ? { outputSchema: spec.output } : {}),
        annotations: annotationsFor(spec.hints),
      },
      handler as never,
    );
    listed.push(listedTool(spec));
  };
  const ctx: ToolContext = {
    config: opts.config,
    log: opts.log,
    services: built.services,
    sandboxReachesServers: built.sandboxReachesServers,
    register,
  };
  for (const tool of TOOL_MODULES) if (groups.includes(tool.group)) tool.register(ctx);
  // The SDK's own listing would carry $schema, ±2^53 bounds and every default hint.
  server.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listed }));
  if (groups.includes("sandbox")) registerCapabilities(server);
  if (built.services.files) registerResultFiles(server, built.services.files);
  if ((groups.includes("escalation") || groups.includes("scripts")) && !groups.includes("jobs")) {
    opts.log.warn(
      "The jobs tool group is off: a job that outlives wait_seconds cannot be followed up (get_job, cancel_job). Add jobs to MCP_BRIDGE_TOOLS.",
    );
  }
  // Warm the pool only once the client has initialized, so starting containers never delays the handshake.
  server.server.oninitialized = () => built.warm();
  return server;
}
