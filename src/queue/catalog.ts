/**
 * The script catalog the worker publishes to `<root>/queue/scripts.json` (names, descriptions,
 * argument schemas, flags) and `serve` reads, so a `serve` that sees only the shared folder can
 * list scripts without reading the scripts directory itself.
 */
import { z } from "zod";
import { readJson } from "./fsutil.ts";
import type { QueueLayout } from "./layout.ts";

export const CatalogSchema = z.object({
  updatedAt: z.string(),
  scriptsDir: z.string(),
  scripts: z.array(z.object({
    name: z.string(),
    description: z.string().optional(),
    argsSchema: z.record(z.string(), z.unknown()).optional(),
    timeoutMs: z.number().optional(),
    readOnly: z.boolean(),
    destructive: z.boolean(),
  })),
  problems: z.array(z.string()),
});
export type Catalog = z.infer<typeof CatalogSchema>;

/** The published catalog, or undefined when no worker has published one. */
export function readCatalog(layout: QueueLayout): Catalog | undefined {
  try {
    const parsed = CatalogSchema.safeParse(readJson(layout.catalog));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
