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
import {
  formatText,
  isFailure,
  normalizeOutcome,
  toStructured,
  type OutcomeFile,
  type RunOutcome,
} from "../../output/format.ts";
import { isTextType } from "../../sandbox/result-files.ts";
import { ProgressStreamer } from "../../output/progress.ts";
import type { CallOrigin } from "../../sandbox/extension.ts";
import type { ToolModule } from "../context.ts";
import { utf8, type ResultFileStore } from "../resources/files.ts";
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
      "Run Python 3 in an isolated container (no network; fresh state unless `session`). Returns output, last expression's repr, tracebacks, images (matplotlib, show_image), files saved to /output. Top-level await works. Code can use the user's other MCP servers: `await search_tool_docs('query')` finds tools, `await mcp_<server>.<tool>(...)` calls them; `await save_memory(key, value)`/`load_memory(key)` persist data.",
    input: {
      code: z.string(),
      timeout: z
        .number()
        .positive()
        .optional()
        .describe(`seconds (default ${seconds(config.timeout)}, max ${seconds(config.maxTimeout)})`),
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
 * Files up to EMBED_MAX_BYTES are embedded in the result (text, or base64), until EMBED_TOTAL_BYTES
 * are; the others are resource links. Claude Code shows embedded text to the model (prefixed with
 * its URI), so the budget keeps a result's context cost small.
 */
export const EMBED_MAX_BYTES = 8 * 1024;
export const EMBED_TOTAL_BYTES = 16 * 1024;

/** Result files as content: small ones embedded, the rest as links `resources/read` answers. */
function fileContent(files: OutcomeFile[], uris: string[]): CallToolResult["content"] {
  let budget = EMBED_TOTAL_BYTES;
  return files.map((f, i) => {
    const uri = uris[i]!;
    const small = f.data.length <= Math.min(EMBED_MAX_BYTES, budget);
    if (small) budget -= f.data.length;
    const text = small && isTextType(f.mimeType) ? utf8(f.data) : undefined;
    if (text !== undefined) return { type: "resource" as const, resource: { uri, mimeType: f.mimeType, text } };
    if (small)
      return {
        type: "resource" as const,
        resource: { uri, mimeType: f.mimeType, blob: Buffer.from(f.data).toString("base64") },
      };
    return {
      type: "resource_link" as const,
      uri,
      name: f.name,
      mimeType: f.mimeType,
      size: f.data.length,
      ...(f.savedTo ? { description: `saved to ${f.savedTo}` } : {}),
    };
  });
}

/** How runResult shapes a result: `maxBytes`, the JSON-escaped size its text fields are fitted to; `store` issues result files' URIs. */
export interface ResultOptions {
  maxBytes?: number;
  store?: ResultFileStore;
}

/** The tool result for an outcome, its text fields fitted to `maxBytes`; a shaping failure still returns the output, with a note. */
export function runResult(
  raw: RunOutcome,
  mode: Config["outputMode"],
  note?: string,
  { maxBytes = Infinity, store }: ResultOptions = {},
): CallToolResult {
  const images = (Array.isArray(raw.images) ? raw.images : []).map((bytes) => ({
    type: "image" as const,
    data: Buffer.from(bytes).toString("base64"),
    mimeType: imageMime(bytes) ?? "image/png",
  }));
  try {
    const outcome = fitOutcome(normalizeOutcome(raw), maxBytes);
    const files = outcome.files ?? [];
    const uris = store ? files.map((f) => store.put(f)) : [];
    return {
      content: [
        { type: "text", text: formatText(outcome, mode, TEXT_OUTPUT_LIMIT, note, uris) },
        ...images,
        ...(store ? fileContent(files, uris) : []),
      ],
      structuredContent: toStructured(outcome, note, uris),
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
      const notify =
        token === undefined
          ? undefined
          : (message: string) =>
              void extra
                .sendNotification({
                  method: "notifications/progress",
                  params: { progressToken: token, progress: ++count, message },
                })
                .catch(() => {});
      const progress = notify && new ProgressStreamer({ send: (_n, message) => notify(message) });
      const requested = args.timeout === undefined ? undefined : Math.round(args.timeout * 1000);
      const note =
        requested !== undefined && requested > max
          ? `timeout ${seconds(requested)} s is above the maximum; ran with ${seconds(max)} s`
          : undefined;
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
        return runResult(outcome, ctx.config.outputMode, note, {
          maxBytes: mcpResultLimit(ctx.config),
          store: ctx.services.files,
        });
      } catch (err) {
        progress?.end(false);
        return errorResult(err);
      }
    });
  },
};
