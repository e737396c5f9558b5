/**
 * The script catalog (`<root>/queue/scripts.json`): the worker publishes the whitelist — names,
 * descriptions, argument schemas, flags — so `serve`, possibly in a VM that sees only the shared
 * folder, can list scripts without reading the scripts directory. Descriptions reach the model,
 * so the catalog is signed by the worker and `serve` ignores one whose signature does not hold.
 */
import { z } from "zod";
import { recordIsAuthentic, signRecord } from "./auth.ts";
import { readJsonQuietly, writeFileAtomic } from "./fsutil.ts";
import { CATALOG_FILE, type QueueLayout } from "./layout.ts";

/** How often a running worker re-reads its scripts directory and republishes the catalog (ms). */
export const CATALOG_REFRESH_MS = 5000;

export const CatalogSchema = z.object({
  updatedAt: z.string(),
  scriptsDir: z.string(),
  scripts: z.array(
    z.object({
      name: z.string(),
      description: z.string().optional(),
      argsSchema: z.record(z.string(), z.unknown()).optional(),
      timeoutMs: z.number().optional(),
      readOnly: z.boolean(),
      destructive: z.boolean(),
    }),
  ),
  problems: z.array(z.string()),
});
export type Catalog = z.infer<typeof CatalogSchema>;

const MAX_CATALOG_BYTES = 8 * 1024 * 1024;

/** The raw catalog file, parsed, when its signature holds; undefined otherwise. */
function readAuthentic(layout: QueueLayout, secret: string): (Catalog & { sig: string }) | undefined {
  const raw = readJsonQuietly(layout.d.queue, CATALOG_FILE, MAX_CATALOG_BYTES);
  if (!recordIsAuthentic("catalog", raw, secret)) return undefined;
  const parsed = CatalogSchema.safeParse(raw);
  return parsed.success ? { ...parsed.data, sig: (raw as { sig: string }).sig } : undefined;
}

/** The published catalog, or undefined when none was published or it is not authentic. */
export function readCatalog(layout: QueueLayout, secret: string): Catalog | undefined {
  const found = readAuthentic(layout, secret);
  if (!found) return undefined;
  const { sig: _sig, ...catalog } = found;
  return catalog;
}

/** What decides whether the catalog on disk is current (everything but the time stamp). */
const contentOf = (c: Catalog) =>
  JSON.stringify({ scriptsDir: c.scriptsDir, scripts: c.scripts, problems: c.problems });

/**
 * Writes the catalog, signed, unless the authentic one on disk already says the same. A planted or
 * altered file is therefore replaced at the next publish. Returns true when it wrote.
 */
export function writeCatalog(layout: QueueLayout, catalog: Catalog, secret: string): boolean {
  const current = readAuthentic(layout, secret);
  if (current && contentOf(current) === contentOf(catalog)) return false;
  writeFileAtomic(layout.d.tmp, layout.d.queue, CATALOG_FILE, JSON.stringify(signRecord("catalog", catalog, secret)), {
    sync: false,
  });
  return true;
}
