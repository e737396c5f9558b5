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

/** The structured run result (a zod raw shape; snake_case like every MCP-visible record of bridge). */
export const runOutputShape = {
  status: z.enum(RUN_STATUSES),
  output: z.string().describe("stdout+stderr"),
  result: z.string().optional().describe("repr of the final expression"),
  error: z.string().optional().describe("traceback/reason"),
  exit_code: z.number().int().optional(),
  truncated: z.boolean().optional(),
  note: z.string().optional(),
  files: z
    .array(
      z
        .object({
          name: z.string(),
          type: z.string(),
          size: z.number().int(),
          path: z.string().optional(),
          uri: z.string().optional(),
        })
        .strict(),
    )
    .optional()
    .describe("written to /output"),
};
export const runOutputSchema = z.object(runOutputShape).strict();
export type RunStructured = z.infer<typeof runOutputSchema>;

/** Everything a finished run produced. */
export interface RunOutcome {
  status: RunStatus;
  output: CollectedOutput;
  /** repr() of the final expression, when it was not None. */
  value?: string;
  /** When the sandbox already cut `value` / `error`: their full size in bytes (for the note of a later cut). */
  valueTotalBytes?: number;
  errorTotalBytes?: number;
  /** Traceback (status error) or the reason the run ended early (timeout, killed, ...). */
  error?: string;
  /** SystemExit code or the exit status of a process that exited on its own. */
  exitCode?: number;
  /** PNG images (show_image, matplotlib figures). */
  images: Uint8Array[];
  /** Files the code wrote to /output. */
  files?: OutcomeFile[];
  /** What the caller must know before reading the rest (e.g. a session that starts fresh). */
  notice?: string;
}

/** A file code wrote to /output (`name` relative to it), and where it was saved on the host, if anywhere. */
export interface OutcomeFile {
  name: string;
  data: Uint8Array;
  mimeType: string;
  savedTo?: string;
}

/**
 * The outcome with every field coerced to its declared type. What the sandbox reports is untrusted
 * (user code can forge its own result) and Python's SystemExit takes any object: `sys.exit(False)`
 * exits 0 and `sys.exit(True)` 1, like Python; any other non-integer code means 1, as Python's exit
 * status does.
 */
export function normalizeOutcome(o: RunOutcome): RunOutcome {
  const text = (v: unknown): string | undefined =>
    v === undefined || v === null ? undefined : typeof v === "string" ? v : safeString(v);
  const status: RunStatus = (RUN_STATUSES as readonly unknown[]).includes(o.status) ? o.status : "error";
  const out: RunOutcome = {
    status,
    output: { ...o.output, text: text(o.output?.text) ?? "" },
    images: Array.isArray(o.images) ? o.images : [],
  };
  const value = text(o.value);
  if (value !== undefined) out.value = value;
  const error =
    text(o.error) ??
    (status === o.status ? undefined : `the sandbox reported an unknown status ${safeString(o.status)}`);
  if (error !== undefined) out.error = error;
  if (status === "exit" || o.exitCode !== undefined) out.exitCode = exitCodeOf(o.exitCode);
  if (Array.isArray(o.files) && o.files.length) out.files = o.files;
  if (o.notice) out.notice = text(o.notice);
  const size = (n: unknown) => (typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : undefined);
  if (out.value !== undefined && size(o.valueTotalBytes) !== undefined) out.valueTotalBytes = size(o.valueTotalBytes);
  if (out.error !== undefined && size(o.errorTotalBytes) !== undefined) out.errorTotalBytes = size(o.errorTotalBytes);
  return out;
}

function exitCodeOf(code: unknown): number {
  if (code === undefined || code === null || code === false) return 0;
  if (code === true) return 1;
  return typeof code === "number" && Number.isSafeInteger(code) ? code : 1;
}

function safeString(v: unknown): string {
  try {
    return typeof v === "string" ? v : (JSON.stringify(v) ?? String(v));
  } catch {
    return String(v);
  }
}

/** True when the run should be reported with isError (anything but success or exit code 0). */
export function isFailure(o: Pick<RunOutcome, "status" | "exitCode">): boolean {
  return !(o.status === "ok" || (o.status === "exit" && o.exitCode === 0));
}

/** One file as the structured result lists it: where it went on the host (`path`), else a resource `uri`. */
export function fileEntry(f: OutcomeFile, uri?: string): NonNullable<RunStructured["files"]>[number] {
  return {
    name: `/output/${f.name}`,
    type: f.mimeType,
    size: f.data.length,
    ...(f.savedTo ? { path: f.savedTo } : uri ? { uri } : {}),
  };
}

/**
 * The structured result, parsed with the declared schema so it never carries extra keys. `note`:
 * what bridge adds (e.g. a clamped timeout), after the outcome's own notice. `uris`: resource URIs
 * of the files, in order.
 */
export function toStructured(o: RunOutcome, note?: string, uris: string[] = []): RunStructured {
  const notes = [o.notice, note].filter(Boolean).join("; ");
  return runOutputSchema.parse({
    status: o.status,
    output: o.output.text,
    ...(o.value !== undefined ? { result: o.value } : {}),
    ...(o.error !== undefined ? { error: o.error } : {}),
    ...(o.exitCode !== undefined ? { exit_code: o.exitCode } : {}),
    ...(o.output.truncated ? { truncated: true } : {}),
    ...(notes ? { note: notes } : {}),
    ...(o.files?.length ? { files: o.files.map((f, i) => fileEntry(f, uris[i])) } : {}),
  });
}

/**
 * Human/model-readable text of a run in the configured mode. Output longer than `maxTextOutput`
 * bytes is replaced by a pointer to structuredContent.output (it would be sent twice otherwise).
 */
export function formatText(
  o: RunOutcome,
  mode: "compact" | "toon",
  maxTextOutput = Infinity,
  note?: string,
  uris: string[] = [],
): string {
  const size = Buffer.byteLength(o.output.text);
  if (size > maxTextOutput) {
    o = { ...o, output: { ...o.output, text: `[${formatBytes(size)} of output: see structuredContent.output]\n` } };
  }
  if (mode === "toon") return encode(toStructured(o, note, uris));
  const parts: string[] = [];
  if (o.notice) parts.push(`[${o.notice}]`);
  if (o.output.text) parts.push(o.output.text.endsWith("\n") ? o.output.text.slice(0, -1) : o.output.text);
  if (o.value !== undefined) parts.push(`=> ${o.value}`);
  if (o.error) parts.push(o.error.replace(/\n$/, ""));
  if (o.status === "exit") parts.push(`[exit code ${o.exitCode ?? 0}]`);
  if (o.images.length) parts.push(`[${o.images.length} image${o.images.length > 1 ? "s" : ""} attached]`);
  for (const f of o.files ?? [])
    parts.push(
      `[file /output/${f.name}: ${formatBytes(f.data.length)} ${f.mimeType}${f.savedTo ? `, saved to ${f.savedTo}` : ""}]`,
    );
  if (!parts.length || (parts.length === 1 && o.notice))
    parts.push(o.status === "ok" ? "(no output)" : `[${o.status}]`);
  if (note) parts.push(`[${note}]`);
  return parts.join("\n");
}
