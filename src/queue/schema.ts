/**
 * Shapes of what is read back from disk: job files (untrusted until verified), results, heartbeats.
 * Anything that does not parse is treated as malformed, never guessed at.
 */
import { z } from "zod";
import { JOB_ID_RE, NONCE_RE } from "./ids.ts";
import { FINAL_STATES, JOB_KINDS } from "./types.ts";

export const PERMISSION_MODES = ["plan", "default", "acceptEdits", "dontAsk", "auto", "bypassPermissions"] as const;

export const ClaudeBodySchema = z.strictObject({
  request: z.string().min(1).max(200_000),
  cwd: z.string().min(1).max(4096).optional(),
  session_id: z
    .string()
    .regex(/^[0-9a-fA-F-]{36}$/, "expected a session UUID")
    .optional(),
  model: z.string().min(1).max(200).optional(),
  max_turns: z.number().int().min(1).max(10_000).optional(),
  permission_mode: z.enum(PERMISSION_MODES).optional(),
});

export const ScriptBodySchema = z.strictObject({
  name: z.string().min(1).max(200),
  args: z.array(z.string().max(100_000)).max(1000),
  stdin: z.string().max(1_000_000).optional(),
});

export const BODY_SCHEMAS = { claude: ClaudeBodySchema, script: ScriptBodySchema } as const;

/** A job file's envelope. The body is checked against its kind's schema separately. */
export const SignedJobSchema = z.strictObject({
  v: z.literal(1),
  id: z.string().regex(JOB_ID_RE),
  kind: z.enum(JOB_KINDS as [string, ...string[]]),
  createdAt: z.iso.datetime(),
  nonce: z.string().regex(NONCE_RE),
  body: z.record(z.string(), z.unknown()),
  sig: z.string().optional(),
});

export const JobErrorSchema = z.object({ code: z.string(), message: z.string(), hint: z.string().optional() });

export const JobResultSchema = z.object({
  id: z.string().regex(JOB_ID_RE),
  kind: z.enum(JOB_KINDS as [string, ...string[]]),
  state: z.enum(FINAL_STATES as [string, ...string[]]),
  outcome: z.unknown(),
  error: JobErrorSchema.optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string(),
  recovered: z.boolean().optional(),
  sig: z.string().optional(),
});

export const HeartbeatSchema = z.object({
  workerId: z.string(),
  pid: z.number().int(),
  hostname: z.string(),
  version: z.string(),
  startedAt: z.string(),
  at: z.string(),
  concurrency: z.number().int(),
  running: z.array(z.string()),
  draining: z.boolean(),
  pidNamespace: z.string().max(100).optional(),
  trustProjectSettings: z.union([z.boolean(), z.array(z.string())]).optional(),
  sig: z.string().optional(),
});
