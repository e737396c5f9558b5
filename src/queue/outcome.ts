/**
 * The outcomes a job result carries, as the worker writes them and `serve` reads them back
 * (snake_case: MCP clients see them as they are). Shared by both sides of the queue.
 */
import { z } from "zod";

export const CLASSIFICATIONS = [
  "success",
  "refused",
  "permission_denied",
  "not_logged_in",
  "cli_missing",
  "api_error",
  "timeout",
  "max_turns",
  "budget",
  "cancelled",
  "interrupted",
  "cli_error",
  "crashed",
] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

export const PermissionDenialSchema = z.object({
  tool_name: z.string(),
  tool_use_id: z.string().optional(),
  tool_input: z.unknown().optional(),
});
export type PermissionDenial = z.infer<typeof PermissionDenialSchema>;

/** The outcome of a Claude job, as stored in the job result and returned by escalate_to_claude. */
export const ClaudeOutcomeSchema = z.object({
  classification: z.enum(CLASSIFICATIONS),
  message: z.string(),
  result: z.string().nullable(),
  session_id: z.string().nullable(),
  total_cost_usd: z.number().nullable(),
  num_turns: z.number().nullable(),
  duration_ms: z.number(),
  permission_denials: z.array(PermissionDenialSchema),
  is_error: z.boolean(),
  subtype: z.string().nullable(),
  exit_code: z.number().nullable(),
  api_error_status: z.number().nullable(),
  /** Secrets the worker replaced by [REDACTED:kind] in result, message and refused tool inputs. */
  redacted: z.object({ count: z.number(), kinds: z.array(z.string()) }).optional(),
});
export type ClaudeOutcome = z.infer<typeof ClaudeOutcomeSchema>;

/** The outcome of a script job. */
export interface ScriptOutcome {
  name: string;
  exit_code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timed_out: boolean;
  duration_ms: number;
  /** What bridge did beyond the script: background processes stopped at its exit, output closed, secrets redacted. */
  note?: string;
  /** Secrets replaced by [REDACTED:kind] in stdout/stderr. */
  redacted?: { count: number; kinds: string[] };
}
