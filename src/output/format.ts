/**
 * Turns a finished run into what the caller sees: the structured result (matching the run_python
 * outputSchema exactly) and its text form, `compact` (output as written, then result/error lines)
 * or `toon` (the structured result encoded with @toon-format/toon).
 */
import { encode } from "@toon-format/toon";
import { z } from "zod";
import { formatBytes } from "../config/units.ts";
import type { CollectedOutput } from "./collector.ts";

/** How a run ended. */
export const RUN_STATUSES = ["ok", "error", "exit", "timeout", "cancelled", "killed"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The run_python outputSchema (a zod raw shape, as the SDK's registerTool takes it). */
export const runOutputShape = {
  status: z.enum(RUN_STATUSES),
  output: z.string().describe("stdout+stderr"),
  result: z.string().optional().describe("repr of the final expression"),
  error: z.string().optional().describe("traceback/reason"),
  exitCode: z.number().int().optional(),
  truncated: z.boolean().optional(),
};
export const runOutputSchema = z.object(runOutputShape).strict();
export type RunStructured = z.infer<typeof runOutputSchema>;

/** Everything a finished run produced. */
export interface RunOutcome {
  status: RunStatus;
  output: CollectedOutput;
  /** repr() of the final expression, when it was not None. */
  value?: string;
  /** Traceback (status error) or the reason the run ended early (timeout, killed, ...). */
  error?: string;
  /** SystemExit code or the exit status of a process that exited on its own. */
  exitCode?: number;
  /** PNG images (show_image, matplotlib figures). */
  images: Uint8Array[];
}

/** True when the run should be reported with isError (anything but success or exit code 0). */
export function isFailure(o: Pick<RunOutcome, "status" | "exitCode">): boolean {
  return !(o.status === "ok" || (o.status === "exit" && o.exitCode === 0));
}

/** The structured result, parsed with the declared schema so it never carries extra keys. */
export function toStructured(o: RunOutcome): RunStructured {
  return runOutputSchema.parse({
    status: o.status,
    output: o.output.text,
    ...(o.value !== undefined ? { result: o.value } : {}),
    ...(o.error !== undefined ? { error: o.error } : {}),
    ...(o.exitCode !== undefined ? { exitCode: o.exitCode } : {}),
    ...(o.output.truncated ? { truncated: true } : {}),
  });
}

/**
 * Human/model-readable text of a run in the configured mode. Output longer than `maxTextOutput`
 * bytes is replaced by a pointer to structuredContent.output (it would be sent twice otherwise).
 */
export function formatText(o: RunOutcome, mode: "compact" | "toon", maxTextOutput = Infinity): string {
  const size = Buffer.byteLength(o.output.text);
  if (size > maxTextOutput) {
    o = { ...o, output: { ...o.output, text: `[${formatBytes(size)} of output: see structuredContent.output]\n` } };
  }
  if (mode === "toon") return encode(toStructured(o));
  const parts: string[] = [];
  if (o.output.text) parts.push(o.output.text.endsWith("\n") ? o.output.text.slice(0, -1) : o.output.text);
  if (o.value !== undefined) parts.push(`=> ${o.value}`);
  if (o.error) parts.push(o.error.replace(/\n$/, ""));
  if (o.status === "exit") parts.push(`[exit code ${o.exitCode ?? 0}]`);
  if (o.images.length) parts.push(`[${o.images.length} image${o.images.length > 1 ? "s" : ""} attached]`);
  if (!parts.length) parts.push(o.status === "ok" ? "(no output)" : `[${o.status}]`);
  return parts.join("\n");
}
