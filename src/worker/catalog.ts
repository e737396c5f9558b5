/**
 * The worker publishes the script whitelist (names, descriptions, argument schemas, flags) to
 * `<root>/queue/scripts.json`, so `serve` — possibly in a VM that sees only the shared folder —
 * can list scripts without reading the scripts directory itself.
 */
import { z } from "zod";
import { writeFileAtomic, readJson } from "../queue/fsutil.ts";
import type { QueueLayout } from "../queue/layout.ts";
import { listScripts, type ScriptInfo } from "../scripts/catalog.ts";

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

let lastPublished = "";

/** Lists the scripts and writes the catalog when it changed. Returns it. */
export async function publishCatalog(layout: QueueLayout, scriptsDir: string, now: () => number = Date.now): Promise<Catalog> {
  let scripts: ScriptInfo[] = [];
  let problems: string[] = [];
  try {
    ({ scripts, problems } = await listScripts(scriptsDir));
  } catch (err) {
    problems = [(err as Error).message];
  }
  const body = JSON.stringify({ scriptsDir, scripts, problems });
  const catalog: Catalog = { updatedAt: new Date(now()).toISOString(), scriptsDir, scripts, problems };
  if (body !== lastPublished) {
    writeFileAtomic(layout.tmp, layout.catalog, JSON.stringify(catalog), { sync: false });
    lastPublished = body;
  }
  return catalog;
}

/** The published catalog, or undefined when no worker has published one. */
export function readCatalog(layout: QueueLayout): Catalog | undefined {
  try {
    const parsed = CatalogSchema.safeParse(readJson(layout.catalog));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
