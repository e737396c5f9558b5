/**
 * Script manifests: `<scripts>/bridge-scripts.json` (`{"scripts": {"<name>": {...}}}`) and/or
 * `<scripts>/<name>.json` beside the script (same entry shape; it wins over the shared file).
 * Everything is optional; a script with no manifest takes any argv.
 */
import { z } from "zod";
import { parseDuration } from "../config/index.ts";

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name");

/** One script's manifest entry, as written in the file. */
export const ScriptManifestSchema = z.strictObject({
  description: z.string().max(4000).optional(),
  /** JSON Schema for the argv array (e.g. `{"type":"array","items":{"enum":["a","b"]}}`). */
  args: z.record(z.string(), z.unknown()).optional(),
  /** Duration (`30s`, `2m`, or seconds as a number). */
  timeout: z
    .union([z.string(), z.number()])
    .refine((v) => parseDuration(v) !== undefined, "expected a duration such as 30s or 2m")
    .optional(),
  /** Working directory: absolute, or relative to the scripts directory. */
  cwd: z.string().min(1).optional(),
  /** Environment variables passed through from the worker (besides PATH). */
  env: z.array(envName).max(100).optional(),
  readOnly: z.boolean().optional(),
  destructive: z.boolean().optional(),
});
export type ScriptManifest = z.infer<typeof ScriptManifestSchema>;

/** The shared manifest file. */
export const ManifestFileSchema = z.strictObject({
  scripts: z.record(z.string(), ScriptManifestSchema),
});

/** Formats zod issues as one line. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}
