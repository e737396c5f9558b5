/**
 * run_python: Python in a hardened, network-less container (the SandboxService from the context),
 * output streamed as progress notifications when the client asks, images as image content, and a
 * compact structured result beside the text. Nothing the code produces can make the result fail:
 * the outcome is normalised first, and if shaping it still fails the output is returned with a note.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Config } from "../../config/index.ts";
import { describeError } from "../../errors.ts";
import { formatText, isFailure, normalizeOutcome, toStructured, type OutcomeFile, type RunOutcome } from "../../output/format.ts";
import { isTextType } from "../../sandbox/result-files.ts";
import { ProgressStreamer } from "../../output/progress.ts";
import type { ToolModule } from "../context.ts";
import { utf8, type ResultFileStore } from "../resources/files.ts";
import { errorResult } from "../results/error.ts";
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
    if (small) return { type: "resource" as const, resource: { uri, mimeType: f.mimeType, blob: Buffer.from(f.data).toString("base64") } };
    return { type: "resource_link" as const, uri, name: f.name, mimeType: f.mimeType, size: f.data.length, ...(f.savedTo ? { description: `saved to ${f.savedTo}` } : {}) };
  });
}

/** The tool result for an outcome; a shaping failure still returns the output, with a note. `store` issues the files' URIs. */
export function runResult(raw: RunOutcome, mode: Config["outputMode"], note?: string, store?: ResultFileStore): CallToolResult {
  const images = (Array.isArray(raw.images) ? raw.images : []).map((png) => ({ type: "image" as const, data: Buffer.from(png).toString("base64"), mimeType: "image/png" }));
  try {
    const outcome = normalizeOutcome(raw);
    const files = outcome.files ?? [];
    const uris = store ? files.map((f) => store.put(f)) : [];
    return {
      content: [{ type: "text", text: formatText(outcome, mode, TEXT_OUTPUT_LIMIT, note, uris) }, ...images, ...(store ? fileContent(files, uris) : [])],
      structuredContent: toStructured(outcome, note, uris),
      isError: isFailure(outcome),
    };
  } catch (err) {
    const output = typeof raw.output?.text === "string" ? raw.output.text : "";
    const why = `bridge could not shape this result (${describeError(err)}); the output is above, as printed`;
    return { content: [{ type: "text", text: `${output}\n[${why}]` }, ...images], isError: true };
  }
}

export const runPython: ToolModule = {
  group: "sandbox",
  register(ctx) {
    const sandbox = ctx.services.sandbox;
    if (!sandbox) throw new Error("run_python needs the sandbox service");
    const max = ctx.config.maxTimeout;
    ctx.register(runPythonSpec(ctx.config, ctx.sandboxReachesServers), async (args, extra): Promise<CallToolResult> => {
      const token = extra._meta?.progressToken;
      const progress = token === undefined ? undefined : new ProgressStreamer({
        send: (n, message) => void extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: n, message } }).catch(() => {}),
      });
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
        });
        progress?.flush();
        return runResult(outcome, ctx.config.outputMode, note, ctx.services.files);
      } catch (err) {
        return errorResult(err);
      }
    });
  },
};
