/**
 * The worker publishes the script whitelist to `<root>/queue/scripts.json` (format, signature and
 * reading in src/queue/catalog.ts), so `serve` can list scripts without the scripts directory.
 */
import { type Catalog, writeCatalog } from "../queue/catalog.ts";
import type { QueueLayout } from "../queue/layout.ts";
import { listScripts, type ScriptInfo } from "../host-scripts/catalog.ts";

/**
 * Lists the scripts and writes the signed catalog when the one on disk differs (or is missing, or
 * not authentic). Returns it.
 */
export async function publishCatalog(
  layout: QueueLayout,
  scriptsDir: string,
  secret: string,
  now: () => number = Date.now,
): Promise<Catalog> {
  let scripts: ScriptInfo[] = [];
  let problems: string[] = [];
  try {
    ({ scripts, problems } = await listScripts(scriptsDir));
  } catch (err) {
    problems = [(err as Error).message];
  }
  const catalog: Catalog = { updatedAt: new Date(now()).toISOString(), scriptsDir, scripts, problems };
  writeCatalog(layout, catalog, secret);
  return catalog;
}
