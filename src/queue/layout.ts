/**
 * Where everything lives under `<root>/queue`. One object of paths, created on first use with
 * private permissions; nothing else in bridge builds queue paths by hand.
 */
import { join } from "node:path";
import type { Config } from "../config/index.ts";
import { ensurePrivateDir } from "./fsutil.ts";

export interface QueueLayout {
  root: string;
  dir: string;
  tmp: string;
  incoming: string;
  running: string;
  jobs: string;
  results: string;
  cancel: string;
  progress: string;
  seen: string;
  workers: string;
  rejected: string;
  /** Per-directory locks for claude jobs (one at a time per cwd, across workers). */
  locks: string;
  journal: string;
  /** The script catalog the worker publishes for `serve`. */
  catalog: string;
}

const SUBDIRS = ["tmp", "incoming", "running", "jobs", "results", "cancel", "progress", "seen", "workers", "rejected", "locks"] as const;

/** The paths for a root (no I/O). */
export function queueLayout(root: string): QueueLayout {
  const dir = join(root, "queue");
  const sub = Object.fromEntries(SUBDIRS.map((d) => [d, join(dir, d)])) as Record<(typeof SUBDIRS)[number], string>;
  return { root, dir, ...sub, journal: join(dir, "journal.jsonl"), catalog: join(dir, "scripts.json") };
}

/** The layout for a config, with every directory created (0700) and checked. */
export function ensureLayout(config: Pick<Config, "root">): QueueLayout {
  const layout = queueLayout(config.root);
  ensurePrivateDir(layout.root);
  ensurePrivateDir(layout.dir);
  for (const d of SUBDIRS) ensurePrivateDir(layout[d]);
  return layout;
}
