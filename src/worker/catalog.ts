/**
 * The worker side of the script catalog (format in src/queue/catalog.ts): lists the whitelist and
 * publishes it to `<root>/queue/scripts.json` whenever it changed.
 */
import { listScripts, type ScriptInfo } from "../host-scripts/catalog.ts";
import type { Catalog } from "../queue/catalog.ts";
import { writeFileAtomic } from "../queue/fsutil.ts";
import type { QueueLayout } from "../queue/layout.ts";

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
