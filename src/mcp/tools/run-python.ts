/**
 * run_python: Python in a hardened, network-less container (the SandboxService from the context),
 * output streamed as progress notifications when the client asks, images as image content, and a
 * compact structured result beside the text, fitted to MCP_BRIDGE_MAX_OUTPUT as JSON-escaped bytes.
 * Nothing the code produces can make the result fail: the outcome is normalised first, and if
 * shaping it still fails the output is returned with a note. Host methods get the call's origin, so
 * upstream servers' sampling/elicitation requests and progress reach this client as part of this call.
 */
import type { CallToolResult, ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { z } from "zod";
import type { Config } from "../../config/index.ts";
import { describeError } from "../../errors.ts";
import { fitOutcome } from "../../output/fit.ts";
import { formatText, isFailure, normalizeOutcome, toStructured, type RunOutcome } from "../../output/format.ts";
import { ProgressStreamer } from "../../output/progress.ts";
import type { CallOrigin } from "../../sandbox/extension.ts";
import type { ToolModule } from "../context.ts";
import { errorResult } from "../results/error.ts";
import { imageMime } from "../../sandbox/images.ts";
import { mcpResultLimit } from "../services.ts";
import type { Hints, ToolSpec } from "../tool-def.ts";

const seconds = (ms: number) => `${Math.round(ms / 100) / 10}`;

/**
 * The definition (≤ 200 o200k tokens, a unit test measures it). It names the configured timeout
 * limits and never depends on which MCP servers are configured.
 */
export function runPythonSpec(config: Pick<Config, "timeout" | "maxTimeout">, reachesServers: boolean) {
  return {
    name: "run_python",
    description:
      "Run Python 3 in an isolated container (no network; fresh state unless `session`). Returns printed output, the last expression's repr, tracebacks and images (matplotlib, show_image). Top-level await works. Code can use the user's other MCP servers: `await search_tool_docs('query')` finds tools, `await mcp_<server>.<tool>(...)` calls them; `await save_memory(key, value)`/`load_memory(key)` persist data.",
    input: {
      code: z.string(),
      timeout: z.number().positive().optional().describe(`seconds (default ${seconds(config.timeout)}, max ${seconds(config.maxTimeout)})`),
      session: z.string().optional().describe("name: keep variables across calls"),
      servers: z.array(z.string()).optional().describe("MCP servers to preload as mcp_<name>"),
    },
    hints: runPythonHints(reachesServers),
  } satisfies ToolSpec<z.ZodRawShape>;
}

/** The sandbox cannot touch the host, but extensions may reach (and change) other MCP servers. */
export function runPythonHints(reachesServers: boolean): Hints {
  return { readOnly: false, destructive: reachesServers, idempotent: false, openWorld: reachesServers };
}

/** Larger output is sent only in structuredContent, not twice. */
export const TEXT_OUTPUT_LIMIT = 512 * 1024;

/**
 * The tool result for an outcome, its text fields fitted to `maxBytes` as JSON-escaped bytes; a
 * shaping failure still returns the output, with a note.
 */
export function runResult(raw: RunOutcome, mode: Config["outputMode"], note?: string, maxBytes = Infinity): CallToolResult {
  const images = (Array.isArray(raw.images) ? raw.images : []).map((bytes) => ({ type: "image" as const, data: Buffer.from(bytes).toString("base64"), mimeType: imageMime(bytes) ?? "image/png" }));
  try {
    const outcome = fitOutcome(normalizeOutcome(raw), maxBytes);
    return {
      content: [{ type: "text", text: formatText(outcome, mode, TEXT_OUTPUT_LIMIT, note) }, ...images],
      structuredContent: toStructured(outcome, note),
      isError: isFailure(outcome),
    };
  } catch (err) {
    const output = typeof raw.output?.text === "string" ? raw.output.text : "";
    const why = `bridge could not shape this result (${describeError(err)}); the output is above, as printed`;
    return { content: [{ type: "text", text: `${output}\n[${why}]` }, ...images], isError: true };
  }
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * The tools/call as host methods see it: requests to the client go out with this call's
 * `extra.sendRequest` (so they are related to it and end with it), and progress messages go through
 * the output stream's ProgressStreamer (`notice`): one increasing counter, its interval and 8 KiB cap.
 */
function callOrigin(extra: Extra, progress: ((message: string) => void) | undefined): CallOrigin {
  return {
    request: (method, params, o) =>
      extra.sendRequest({ method, params } as ServerRequest, looseResult, {
        signal: o.signal ? AbortSignal.any([extra.signal, o.signal]) : extra.signal,
        timeout: o.timeoutMs,
      }) as Promise<Record<string, unknown>>,
    progress: (message) => progress?.(message),
  };
}
const looseResult = z.looseObject({});

export const runPython: ToolModule = {
  group: "sandbox",
  register(ctx) {
    const sandbox = ctx.services.sandbox;
    if (!sandbox) throw new Error("run_python needs the sandbox service");
    const max = ctx.config.maxTimeout;
    ctx.register(runPythonSpec(ctx.config, ctx.sandboxReachesServers), async (args, extra): Promise<CallToolResult> => {
      const token = extra._meta?.progressToken;
      let count = 0;
      const notify = token === undefined ? undefined : (message: string) =>
        void extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: ++count, message } }).catch(() => {});
      const progress = notify && new ProgressStreamer({ send: (_n, message) => notify(message) });
      const requested = args.timeout === undefined ? undefined : Math.round(args.timeout * 1000);
      const note = requested !== undefined && requested > max ? `timeout ${seconds(requested)} s is above the maximum; ran with ${seconds(max)} s` : undefined;
      try {
        const outcome = await sandbox.run({
          code: args.code,
          timeoutMs: requested === undefined ? undefined : Math.min(requested, max),
          session: args.session,
          servers: args.servers,
          signal: extra.signal,
          onOutput: progress ? (text) => progress.push(text) : undefined,
          origin: callOrigin(extra, progress && ((message) => progress.notice(message))),
        });
        progress?.end();
        return runResult(outcome, ctx.config.outputMode, note, mcpResultLimit(ctx.config));
      } catch (err) {
        progress?.end(false);
        return errorResult(err);
      }
    });
  },
};
