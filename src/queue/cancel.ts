/**
 * Cancel requests for running jobs: `cancel/<id>` holds a signed record `{id, sig}`. Only an
 * authentic one stops a job, so a writer without the token cannot cancel other people's work; a
 * planted file does not block a real request either (the client replaces it).
 */
import { recordIsAuthentic, signRecord } from "./auth.ts";
import { createFileAtomic, readJsonQuietly, writeFileAtomic } from "./fsutil.ts";
import type { QueueLayout } from "./layout.ts";

/** Writes the signed cancel request for `id` (idempotent). */
export function requestCancel(layout: QueueLayout, id: string, secret: string): void {
  const text = JSON.stringify(signRecord("cancel", { id }, secret));
  if (createFileAtomic(layout.d.tmp, layout.d.cancel, id, text)) return;
  if (cancelRequested(layout, id, secret)) return;
  writeFileAtomic(layout.d.tmp, layout.d.cancel, id, text);
}

/** Whether an authentic cancel request for `id` exists. */
export function cancelRequested(layout: QueueLayout, id: string, secret: string): boolean {
  const raw = readJsonQuietly(layout.d.cancel, id, 4096);
  return raw !== undefined && (raw as { id?: unknown }).id === id && recordIsAuthentic("cancel", raw, secret);
}
