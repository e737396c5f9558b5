/**
 * Where everything lives under `<root>/queue`. One object of paths (for messages, watchers and
 * tests) plus a guarded `QueueDir` per directory (src/queue/dirs.ts) through which every read,
 * write, rename and listing goes; nothing else in bridge builds queue paths by hand.
 */
import { join } from "node:path";
import type { Config } from "../config/index.ts";
import { QueueDir, type TamperHandler } from "./dirs.ts";
import { ensurePrivateDir } from "./fsutil.ts";

const SUBDIRS = [
  "tmp",
  "incoming",
  "running",
  "jobs",
  "results",
  "cancel",
  "progress",
  "seen",
  "workers",
  "rejected",
  "locks",
  "keys",
] as const;
export type SubdirKey = (typeof SUBDIRS)[number];
/** A guarded directory: `queue` itself or one of its subdirectories. */
export type DirKey = "queue" | SubdirKey;

export const JOURNAL_FILE = "journal.jsonl";
export const CATALOG_FILE = "scripts.json";
/** The signed record of the last clean worker stop (src/queue/liveness.ts), replaced by each one. */
export const STOP_FILE = "last-worker-stop.json";

export interface QueueLayout extends Record<SubdirKey, string> {
  root: string;
  /** `<root>/queue`. */
  dir: string;
  /** Path of the journal (for people; writes go through `d.queue`). */
  journal: string;
  /** Path of the script catalog the worker publishes for `serve`. */
  catalog: string;
  /** The guarded directories; every file operation goes through these. */
  d: Record<DirKey, QueueDir>;
  /** Who hears about a replaced directory (the worker journals and logs it). */
  setTamperHandler(fn: TamperHandler): void;
}

/** The paths for a root; directories are opened (and their identity recorded) on first use. */
export function queueLayout(root: string): QueueLayout {
  const dir = join(root, "queue");
  let handler: TamperHandler | undefined;
  const onTamper = () => handler;
  const paths = Object.fromEntries(SUBDIRS.map((d) => [d, join(dir, d)])) as Record<SubdirKey, string>;
  const d = { queue: new QueueDir(dir, onTamper) } as Record<DirKey, QueueDir>;
  for (const k of SUBDIRS) d[k] = new QueueDir(paths[k], onTamper);
  return {
    root,
    dir,
    ...paths,
    journal: join(dir, JOURNAL_FILE),
    catalog: join(dir, CATALOG_FILE),
    d,
    setTamperHandler: (fn) => {
      handler = fn;
    },
  };
}

/**
 * The layout for a config, with every directory created (0700), checked and opened now, so the
 * identities later checks compare against are the ones of this moment.
 */
export function ensureLayout(config: Pick<Config, "root">): QueueLayout {
  const layout = queueLayout(config.root);
  ensurePrivateDir(layout.root);
  ensurePrivateDir(layout.dir);
  layout.d.queue.open();
  for (const k of SUBDIRS) {
    ensurePrivateDir(layout[k]);
    layout.d[k].open(layout.d.queue.at(k));
  }
  return layout;
}
