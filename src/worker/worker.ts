/**
 * `bridge worker`: watches the queue (inotify via fs.watch, with polling as the fallback), claims
 * jobs by atomic rename into its own running/<worker-id>/ directory (claimer.ts), runs up to
 * `concurrency` at a time (job-slot.ts; one writing claude job per working directory), beats a
 * heartbeat (heartbeat.ts), recovers jobs of dead workers and collects garbage (upkeep.ts), and on
 * SIGTERM stops claiming and gives in-flight jobs a grace period (shutdown.ts).
 */
import { type FSWatcher, mkdirSync, watch } from "node:fs";
import type { ConsolaInstance } from "consola";
import type { Config } from "../config/index.ts";
import { describeTracking, workerTracking } from "../process/tracking.ts";
import { cancelRequested } from "../queue/cancel.ts";
import type { QueueDir } from "../queue/dirs.ts";
import { newWorkerId } from "../queue/ids.ts";
import { journalWriter } from "../queue/journal.ts";
import { ensureLayout, JOURNAL_FILE } from "../queue/layout.ts";
import { readSecret } from "../queue/token.ts";
import { HEARTBEAT_INTERVAL_MS, type JobHandler, type JobKind, type WorkerOptions } from "../queue/types.ts";
import { VERSION } from "../version.ts";
import { Claimer, unlockJobCwd } from "./claimer.ts";
import { preflightClaude } from "./claude/index.ts";
import type { WorkerContext } from "./context.ts";
import { beat } from "./heartbeat.ts";
import { runClaimed, type Slot } from "./job-slot.ts";
import { warmUpRedaction } from "./redact.ts";
import { drainSlots, recordCleanStop } from "./shutdown.ts";
import { GC_MS, gc, MAINTENANCE_MS, maintain, publishScripts } from "./upkeep.ts";

const POLL_MS = 500;

export interface WorkerDeps {
  config: Config;
  log: ConsolaInstance;
  options: WorkerOptions;
  now?: () => number;
  handlers?: (kind: JobKind) => JobHandler | undefined;
}

export class QueueWorker {
  readonly id = newWorkerId();
  private readonly ctx: WorkerContext;
  private runDir!: QueueDir;
  private readonly slots = new Map<string, Slot>();
  private readonly startedAt: string;
  private draining = false;
  private scanQueued = false;
  private claimer!: Claimer;
  private watchers: FSWatcher[] = [];
  private timers: ReturnType<typeof setInterval>[] = [];
  private finished!: () => void;
  /** Resolves when the worker has stopped (after drain or shutdown). */
  readonly stopped = new Promise<void>((r) => {
    this.finished = r;
  });
  /** What the process should exit with once stopped: 1 when it stopped because the queue was tampered with. */
  exitCode = 0;

  constructor(private readonly deps: WorkerDeps) {
    const now = deps.now ?? Date.now;
    const layout = ensureLayout(deps.config);
    const secret = readSecret(deps.config);
    const journal = journalWriter(layout.d.queue, JOURNAL_FILE, this.id);
    layout.setTamperHandler((path, why) => {
      // Someone swapped a directory under us: act in it no more, let running jobs finish, and stop.
      this.deps.log.error(
        `queue directory ${path} was replaced (${why}): the worker refuses to use it and stops; check the queue folder, then start the worker again`,
      );
      journal({ event: "queue-tampered", dir: path, why });
      this.exitCode = 1;
      void this.stop(`queue directory ${path} was replaced`);
    });
    this.startedAt = new Date(now()).toISOString();
    this.ctx = {
      workerId: this.id,
      config: deps.config,
      log: deps.log,
      options: deps.options,
      now,
      layout,
      journal,
      secret,
      lockDeps: { layout, secret, now },
      handlers: deps.handlers,
    };
  }

  /** Starts watching and claiming. */
  async start(): Promise<void> {
    const { ctx } = this;
    const { layout, options, log } = ctx;
    const tracking = workerTracking(ctx.config.processTracking);
    mkdirSync(layout.d.running.at(this.id), { mode: 0o700 });
    this.runDir = layout.d.running.child(this.id);
    this.claimer = new Claimer(ctx.lockDeps, this.runDir, this.id, ctx.journal, options.allowRoots, {
      ceiling: options.permissionMode,
      modes: ctx.config.claudeReadOnlyModes,
      trustProjectSettings: options.trustProjectSettings,
    });
    this.beat();
    ctx.journal({ event: "worker-started", version: VERSION, concurrency: options.concurrency });
    maintain(ctx, true);
    // Say at start, not at the first escalation, when Claude is missing or not logged in.
    if (!this.deps.handlers) void preflightClaude(ctx.config, log);
    await publishScripts(ctx);
    for (const [dir, fn] of [
      [
        layout.incoming,
        () => {
          this.claimer.markStale();
          this.scheduleScan();
        },
      ],
      [layout.cancel, () => this.checkCancels()],
    ] as const) {
      try {
        const w = watch(dir, fn);
        w.on("error", (err) => log.debug(`watch ${dir}: ${err.message} (polling continues)`));
        this.watchers.push(w);
      } catch (err) {
        log.debug(`watch ${dir} unavailable (${(err as Error).message}); polling every ${POLL_MS} ms`);
      }
    }
    this.timers.push(setInterval(() => this.beat(), HEARTBEAT_INTERVAL_MS));
    this.timers.push(
      setInterval(() => {
        this.claimer.markStale();
        this.scheduleScan();
        this.checkCancels();
      }, POLL_MS),
    );
    this.timers.push(setInterval(() => maintain(ctx, false), MAINTENANCE_MS));
    this.timers.push(setInterval(() => gc(ctx), GC_MS));
    log.info(`process tracking: ${describeTracking(tracking)}`);
    log.info(
      `worker ${this.id}: watching ${layout.incoming} (concurrency ${options.concurrency}, scripts ${options.scriptsDir})`,
    );
    this.scheduleScan();
    // The first use of secretlint's rules is slow: pay it now rather than at the end of the first job.
    if (ctx.config.redact) setTimeout(() => void warmUpRedaction(), 0);
  }

  private beat(): void {
    beat(this.ctx, this.startedAt, [...this.slots.keys()], this.draining);
  }

  private scheduleScan(): void {
    if (this.scanQueued || this.draining) return;
    this.scanQueued = true;
    queueMicrotask(() => {
      this.scanQueued = false;
      this.scan();
    });
  }

  private scan(): void {
    // With every slot busy there is nothing to claim; a finishing job triggers the next scan.
    if (this.draining || this.slots.size >= this.deps.options.concurrency) return;
    const keys = (shared: boolean) =>
      new Set(
        [...this.slots.values()]
          .filter((s) => Boolean(s.shared) === shared)
          .map((s) => s.cwdKey)
          .filter((k): k is string => Boolean(k)),
      );
    const { claimed, left, fresh } = this.claimer.claim(
      this.deps.options.concurrency - this.slots.size,
      keys(false),
      keys(true),
    );
    for (const c of claimed) this.start1(c.id, c.cwdKey, c.shared);
    if (this.deps.options.once && this.slots.size === 0 && left === 0) {
      if (fresh) void this.stop("queue drained (--once)");
      else {
        this.claimer.markStale();
        this.scheduleScan();
      } // confirm against a fresh listing first
    }
  }

  private start1(id: string, cwdKey: string | undefined, shared?: boolean): void {
    const slot: Slot = { controller: new AbortController(), cwdKey, shared, done: Promise.resolve() };
    this.slots.set(id, slot);
    this.ctx.journal({ event: "claimed", id });
    slot.done = runClaimed(this.ctx, this.runDir, id, slot).finally(() => {
      if (slot.cwdKey) unlockJobCwd(this.ctx.lockDeps, slot.cwdKey, this.id, id, slot.shared);
      this.slots.delete(id);
      this.beat();
      this.scheduleScan();
      if (this.deps.options.once && !this.draining) this.scan();
    });
  }

  private checkCancels(): void {
    for (const [id, slot] of this.slots) {
      if (!slot.controller.signal.aborted && cancelRequested(this.ctx.layout, id, this.ctx.secret)) {
        slot.cause = "cancel";
        slot.controller.abort("cancel");
        this.ctx.journal({ event: "cancelling", id });
      }
    }
  }

  /** Stops claiming; waits up to the grace period for running jobs, then stops them. */
  async stop(why: string): Promise<void> {
    if (this.draining) return this.stopped;
    const { journal } = this.ctx;
    this.draining = true;
    this.beat();
    this.deps.log.info(`worker ${this.id}: stopping (${why}); ${this.slots.size} job(s) in flight`);
    journal({ event: "worker-stopping", reason: why, inFlight: [...this.slots.keys()] });
    await drainSlots(this.slots, this.deps.options.graceMs);
    for (const w of this.watchers) w.close();
    for (const t of this.timers) clearInterval(t);
    if (this.slots.size === 0) recordCleanStop(this.ctx, this.runDir, why);
    journal({ event: "worker-stopped", reason: why });
    this.finished();
  }
}
