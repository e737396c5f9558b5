/**
 * run_script: runs one of the user's whitelisted host scripts through the queue (`bridge worker`
 * runs it), or, without a name, lists them from the catalog the worker publishes. The name and
 * arguments are checked here for a quick answer and again by the worker, which alone decides what runs.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { BridgeError } from "../../errors.ts";
import { validateArgs } from "../../host-scripts/catalog.ts";
import { assertScriptName } from "../../host-scripts/names.ts";
import { CATALOG_REFRESH_MS } from "../../queue/catalog.ts";
import { ScriptBodySchema } from "../../queue/schema.ts";
import type { ToolContext, ToolModule } from "../context.ts";
import { waitForJob, waitMsFor, workerOfflineNote, type ToolExtra } from "../job-wait.ts";
import type { QueueClient } from "../../queue/types.ts";
import { errorResult } from "../results/error.ts";
import { checkedBody } from "../tool-def.ts";
import { jobResult, jobView, submitWithKey } from "../results/job.ts";

export const RUN_SCRIPT_SPEC = {
  name: "run_script",
  description:
    "Run one of the user's whitelisted scripts on their machine; args are passed as argv, no shell. Returns exit code and output, or job_id if it runs past wait_seconds. Without name: lists the scripts and their arguments.",
  input: {
    name: z.string().optional(),
    args: z.array(z.string()).optional(),
    stdin: z.string().optional(),
    wait_seconds: z.number().optional().describe("default 25"),
    idempotency_key: z.string().optional(),
  },
  hints: { readOnly: false, destructive: true, idempotent: false, openWorld: true },
};

/** The whitelist as the worker last published it. */
async function listScripts(ctx: ToolContext): Promise<CallToolResult> {
  const workers = await ctx.services.queue().workerStatus();
  const catalog = ctx.services.catalog();
  const scripts = (catalog?.scripts ?? []).map((s) => ({
    name: s.name,
    ...(s.description ? { description: s.description } : {}),
    ...(s.argsSchema ? { args_schema: s.argsSchema } : {}),
    ...(s.timeoutMs === undefined ? {} : { timeout_seconds: s.timeoutMs / 1000 }),
    read_only: s.readOnly,
    destructive: s.destructive,
  }));
  const problems = catalog?.problems ?? [];
  const next = !catalog
    ? `No script list yet: it is published by the worker. ${workerOfflineNote(workers)}`
    : workers.alive
      ? undefined
      : workerOfflineNote(workers);
  const lines = scripts.map(
    (s) =>
      `${s.name}${s.read_only ? " (read-only)" : s.destructive ? " (destructive)" : ""}: ${s.description ?? "no description"}${s.args_schema ? `\n  args: ${JSON.stringify(s.args_schema)}` : ""}`,
  );
  const text = [
    lines.length ? lines.join("\n") : "No scripts are whitelisted.",
    ...problems.map((p) => `skipped ${p}`),
    next,
  ]
    .filter(Boolean)
    .join("\n");
  return {
    content: [{ type: "text", text }],
    structuredContent: { scripts, ...(problems.length ? { problems } : {}), ...(next ? { next } : {}) },
  };
}

/** Waits for the (new or reused) job and returns its view. */
async function finish(
  ctx: ToolContext,
  q: QueueClient,
  job: { id: string; reused: boolean },
  waitSeconds: number | undefined,
  extra: ToolExtra,
): Promise<CallToolResult> {
  const waited = await waitForJob(q, job.id, waitMsFor(waitSeconds, extra._meta?.progressToken !== undefined), extra);
  const status = waited.status ?? (await q.get(job.id));
  if (!status) throw new BridgeError("QUEUE_FAILED", `Job ${job.id} disappeared from the queue.`);
  return jobResult(
    { ...jobView(status, waited.note), ...(job.reused ? { reused: true } : {}) },
    status,
    ctx.config.maxOutput,
  );
}

export const runScript: ToolModule = {
  group: "scripts",
  register(ctx) {
    ctx.register(RUN_SCRIPT_SPEC, async (args, extra): Promise<CallToolResult> => {
      try {
        if (args.name === undefined) return await listScripts(ctx);
        assertScriptName(args.name);
        const body = checkedBody(
          ScriptBodySchema,
          { name: args.name, args: args.args ?? [], stdin: args.stdin },
          "run_script",
        );
        const catalog = ctx.services.catalog();
        const q = ctx.services.queue();
        const key = args.idempotency_key;
        const prior = key === undefined ? undefined : await q.findKey("script", body, key);
        if (prior) return await finish(ctx, q, { id: prior, reused: true }, args.wait_seconds, extra);
        const workers = await q.workerStatus();
        if (!workers.alive) throw new BridgeError("WORKER_OFFLINE", workerOfflineNote(workers));
        const script = catalog?.scripts.find((s) => s.name === body.name);
        if (catalog && !script) {
          const names = catalog.scripts.map((s) => s.name);
          // The worker re-reads its scripts directory periodically: a script the user just added is not listed yet.
          const fresh = `a script added to the worker's scripts directory is listed within ${CATALOG_REFRESH_MS / 1000} s`;
          throw new BridgeError("SCRIPT_REJECTED", `"${body.name}" is not a whitelisted script.`, {
            hint: names.length
              ? `Available: ${names.join(", ")} (${fresh}).`
              : `No scripts are whitelisted; the user adds executables to the worker's scripts directory (${fresh}).`,
          });
        }
        if (script) validateArgs(script, body.args);
        return await finish(ctx, q, await submitWithKey(q, "script", body, key), args.wait_seconds, extra);
      } catch (err) {
        return errorResult(err);
      }
    });
  },
};
