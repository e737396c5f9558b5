/**
 * The append-only journal (`<root>/queue/journal.jsonl`): one JSON line per event (submitted,
 * claimed, started, finished, rejected, cancel requested, interrupted, gc), written by serve and
 * workers alike. It is for people and audits; the queue's state never depends on reading it.
 */
import { hostname } from "node:os";
import type { QueueDir } from "./dirs.ts";
import { appendLine } from "./fsutil.ts";

export interface JournalEvent {
  event: string;
  id?: string;
  [key: string]: unknown;
}

/** A journal writer bound to one file (`dir/name`) and one actor (e.g. `serve` or a worker id). */
export function journalWriter(dir: QueueDir, name: string, actor: string, now: () => Date = () => new Date()) {
  const path = `${dir.path}/${name}`;
  const host = hostname();
  return (entry: JournalEvent): void => {
    const line = JSON.stringify({ at: now().toISOString(), actor, pid: process.pid, host, ...entry });
    try {
      appendLine(
        dir,
        name,
        line.length > 4000
          ? JSON.stringify({ at: now().toISOString(), actor, event: entry.event, id: entry.id, truncated: true })
          : line,
      );
    } catch (err) {
      // The journal is an audit trail; failing to append must be visible but must not lose the job.
      process.stderr.write(`bridge: cannot append to the journal ${path}: ${(err as Error).message}\n`);
    }
  };
}
export type Journal = ReturnType<typeof journalWriter>;
