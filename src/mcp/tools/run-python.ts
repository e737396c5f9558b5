/**
 * The run_python tool: Python in a hardened, network-less container via SandboxService, with
 * output streamed as progress notifications when the client asks, images as image content, and a
 * structured result matching the declared outputSchema.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { formatText, isFailure, runOutputShape, toStructured } from "../../output/format.ts";
import { ProgressStreamer } from "../../output/progress.ts";
import type { ToolModule } from "../context.ts";
import { errorResult } from "../results/error.ts";

/** The tool definition (kept small: name + description + schemas must stay ≤ 300 o200k tokens). */
export const RUN_PYTHON = {
  name: "run_python",
  description:
    "Run Python 3 in an isolated container (no network; fresh state unless `session`). Returns printed output, the last expression's value, tracebacks and images (show_image(png), matplotlib). Top-level await works.",
  inputShape: {
    code: z.string().describe("Python source"),
    timeout: z.number().positive().optional().describe("seconds (default 30, max 120)"),
    session: z.string().optional().describe("name: keep variables across calls"),
    servers: z.array(z.string()).optional().describe("MCP servers to load as mcp_<name>"),
  },
  outputShape: runOutputShape,
};

/** Annotations: the sandbox cannot touch the host, but extensions may reach other MCP servers. */
export function runPythonAnnotations(hasExtensions: boolean) {
  return { readOnlyHint: false, destructiveHint: hasExtensions, idempotentHint: false, openWorldHint: hasExtensions };
}

/** Larger output is sent only in structuredContent, not twice. */
export const TEXT_OUTPUT_LIMIT = 512 * 1024;

export const registerRunPython: ToolModule = (server: McpServer, ctx) => {
  server.registerTool(
    RUN_PYTHON.name,
    {
      title: "Run Python",
      description: RUN_PYTHON.description,
      inputSchema: RUN_PYTHON.inputShape,
      outputSchema: RUN_PYTHON.outputShape,
      annotations: runPythonAnnotations(ctx.sandboxReachesServers),
    },
    async (args, extra): Promise<CallToolResult> => {
      const token = extra._meta?.progressToken;
      const progress = token === undefined ? undefined : new ProgressStreamer({
        send: (n, message) => void extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: n, message } }).catch(() => {}),
      });
      try {
        const outcome = await ctx.services.sandbox.run({
          code: args.code,
          timeoutMs: args.timeout === undefined ? undefined : Math.round(args.timeout * 1000),
          session: args.session,
          servers: args.servers,
          signal: extra.signal,
          onOutput: progress ? (text) => progress.push(text) : undefined,
        });
        progress?.flush();
        const images = outcome.images.map((png) => ({ type: "image" as const, data: Buffer.from(png).toString("base64"), mimeType: "image/png" }));
        return {
          content: [{ type: "text", text: formatText(outcome, ctx.config.outputMode, TEXT_OUTPUT_LIMIT) }, ...images],
          structuredContent: toStructured(outcome),
          isError: isFailure(outcome),
        };
      } catch (err) {
        return errorResult(err);
      }
    },
  );
};
