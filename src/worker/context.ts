/**
 * What the parts of `bridge worker` share once it has started: its id, the queue layout and
 * journal, the secret, the clock, the settings and the log (worker.ts builds it).
 */
import type { ConsolaInstance } from "consola";
import type { Config } from "../config/index.ts";
import type { Journal } from "../queue/journal.ts";
import type { QueueLayout } from "../queue/layout.ts";
import type { JobHandler, JobKind, WorkerOptions } from "../queue/types.ts";
import type { CwdLockDeps } from "./cwd-lock.ts";

export interface WorkerContext {
  workerId: string;
  config: Config;
  log: ConsolaInstance;
  options: WorkerOptions;
  now: () => number;
  layout: QueueLayout;
  journal: Journal;
  /** The queue token: signs everything the worker writes. */
  secret: string;
  /** Layout, secret and clock, as the directory locks take them. */
  lockDeps: CwdLockDeps;
  /** Handlers by job kind (tests swap them); default src/worker/handlers.ts. */
  handlers?: (kind: JobKind) => JobHandler | undefined;
}
