/**
 * The worker's periodic upkeep: recovery of jobs left by stopped workers (recovery.ts), the
 * script catalog it publishes for serve (catalog.ts), and garbage collection (gc.ts). Each logs
 * its failure and lets the worker go on.
 */
import { CATALOG_REFRESH_MS } from "../queue/catalog.ts";
import { publishCatalog } from "./catalog.ts";
import type { WorkerContext } from "./context.ts";
import { collectGarbage } from "./gc.ts";
import { recoverOrphans } from "./recovery.ts";

/** Recovery and the catalog refresh (serve's "not a whitelisted script" hint names this period). */
export const MAINTENANCE_MS = CATALOG_REFRESH_MS;
export const GC_MS = 3_600_000;

/** Publishes the script catalog and logs what it holds; used at start. */
export async function publishScripts(ctx: WorkerContext): Promise<void> {
  try {
    const catalog = await publishCatalog(ctx.layout, ctx.options.scriptsDir, ctx.secret, ctx.now);
    ctx.log.info(`scripts: ${catalog.scripts.length} whitelisted in ${ctx.options.scriptsDir}`);
    for (const problem of catalog.problems) ctx.log.warn(`scripts: ${problem}`);
  } catch (err) {
    ctx.log.warn(`scripts: cannot publish the script list: ${(err as Error).message}`);
  }
}

/** Recovers jobs of stopped workers; then GC at start (`first`), else a catalog refresh. */
export function maintain(ctx: WorkerContext, first: boolean): void {
  try {
    const marked = recoverOrphans({ ...ctx.lockDeps, journal: ctx.journal, selfId: ctx.workerId });
    if (marked.length)
      ctx.log.warn(`marked ${marked.length} job(s) of stopped workers as interrupted: ${marked.join(", ")}`);
  } catch (err) {
    ctx.log.warn(`recovery: ${(err as Error).message}`);
  }
  if (first) gc(ctx);
  else
    void publishCatalog(ctx.layout, ctx.options.scriptsDir, ctx.secret, ctx.now).catch((err) =>
      ctx.log.warn(`scripts: cannot publish the script list: ${(err as Error).message}`),
    );
}

/** Removes what is past retention (gc.ts). */
export function gc(ctx: WorkerContext): void {
  try {
    collectGarbage({
      layout: ctx.layout,
      journal: ctx.journal,
      now: ctx.now,
      secret: ctx.secret,
      retentionMs: ctx.config.jobRetention,
      maxAgeMs: ctx.config.jobMaxAge,
    });
  } catch (err) {
    ctx.log.warn(`gc: ${(err as Error).message}`);
  }
}
