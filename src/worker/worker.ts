/**
 * `bridge worker`: watches the queue (inotify via fs.watch, with polling as the fallback), claims
 * jobs by atomic rename into its own running/<worker-id>/ directory (claimer.ts), runs up to
 * `concurrency` at a time (one claude job per working directory), beats a heartbeat, recovers jobs
 * of dead workers, and on SIGTERM stops claiming and gives in-flight jobs a grace period.
 */
import { mkdirSync, renameSync, rmdirSync, watch, type FSWatcher } from "node:fs";
import { hostname } from "node:os";
import type { ConsolaInstance } from "consola";
import type { Config } from "../config/index.ts";
import { CATALOG_REFRESH_MS } from "../queue/catalog.ts";
import { cancelRequested } from "../queue/cancel.ts";
import type { QueueDir } from "../queue/dirs.ts";
import { removeQuietly, writeFileAtomic } from "../queue/fsutil.ts";
import { signHeartbeat, writeResult } from "../queue/store.ts";
import { kindOfId, newWorkerId } from "../queue/ids.ts";
import { journalWriter, type Journal } from "../queue/journal.ts";
import { ensureLayout, JOURNAL_FILE, type QueueLayout } from "../queue/layout.ts";
import { describeTracking, workerTracking } from "../process/tracking.ts";
import { ownPidNamespace, recordWorkerStop } from "../queue/liveness.ts";
import { readSecret } from "../queue/token.ts";
import {
  HEARTBEAT_INTERVAL_MS,
  type Heartbeat,
  type Job,
  type JobHandler,
  type JobKind,
  type WorkerOptions,
} from "../queue/types.ts";
import { VERSION } from "../version.ts";
import { publishCatalog } from "./catalog.ts";
import { saveCheckpoint } from "../queue/checkpoint.ts";
import { handlerFor } from "./handlers.ts";
import { takeIn } from "./intake.ts";
import { Claimer, cwdKeyOf, unlockJobCwd } from "./claimer.ts";
import { preflightClaude } from "./claude/index.ts";
import { type CwdLockDeps } from "./cwd-lock.ts";
import { sharesDirectory, tryLockExclusive, tryLockShared } from "./cwd-shared-lock.ts";
import { collectGarbage } from "./gc.ts";
import { recoverOrphans } from "./recovery.ts";
import { warmUpRedaction } from "./redact.ts";
import { runJob, type AbortCause } from "./run-job.ts";

const POLL_MS = 500;
/** Recovery and the catalog refresh (serve's "not a whitelisted script" hint names this period). */
const MAINTENANCE_MS = CATALOG_REFRESH_MS;
const GC_MS = 3_600_000;
const SHUTDOWN_STOP_WAIT_MS = 10_000;
const PID_NAMESPACE = ownPidNamespace();

export interface WorkerDeps {
  config: Config;
  log: ConsolaInstance;
  options: WorkerOptions;
  now?: () => number;
  handlers?: (kind: JobKind) => JobHandler | undefined;
}

interface Slot {
  controller: AbortController;
  cause?: AbortCause;
  cwdKey?: string;
  /** A read-only claude run sharing its directory. */
  shared?: boolean;
  done: Promise<unknown>;
}

/** Waits for `p` or `ms`, whichever is first; true when the time ran out. Leaves no timer behind. */
async function raceTimeout(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<boolean>((r) => {
    timer = setTimeout(() => r(true), ms);
  });
  try {
    return await Promise.race([p.then(() => false), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the heartbeat says about project settings (doctor shows it). */
function trustShown(t: WorkerOptions["trustProjectSettings"]): boolean | string[] {
  return t === "all" ? true : t && t.length ? t : false;
}

export class QueueWorker {
  readonly id = newWorkerId();
  private readonly layout: QueueLayout;
  private readonly journal: Journal;
  private readonly now: () => number;
  private readonly secret: string;
  private runDir!: QueueDir;
  private readonly lockDeps: CwdLockDeps;
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
    this.now = deps.now ?? Date.now;
    this.layout = ensureLayout(deps.config);
    this.secret = readSecret(deps.config);
    this.journal = journalWriter(this.layout.d.queue, JOURNAL_FILE, this.id);
    this.layout.setTamperHandler((path, why) => {
      // Someone swapped a directory under us: act in it no more, let running jobs finish, and stop.
      this.deps.log.error(
        `queue directory ${path} was replaced (${why}): the worker refuses to use it and stops; check the queue folder, then start the worker again`,
      );
      this.journal({ event: "queue-tampered", dir: path, why });
      this.exitCode = 1;
      void this.stop(`queue directory ${path} was replaced`);
    });
    this.startedAt = new Date(this.now()).toISOString();
    this.lockDeps = { layout: this.layout, secret: this.secret, now: this.now };
  }

  /** Starts watching and claiming. */
  async start(): Promise<void> {
    const tracking = workerTracking(this.deps.config.processTracking);
    mkdirSync(this.layout.d.running.at(this.id), { mode: 0o700 });
    this.runDir = this.layout.d.running.child(this.id);
    this.claimer = new Claimer(this.lockDeps, this.runDir, this.id, this.journal, this.deps.options.allowRoots, {
      ceiling: this.deps.options.permissionMode,
      modes: this.deps.config.claudeReadOnlyModes,
      trustProjectSettings: this.deps.options.trustProjectSettings,
    });
    this.beat();
    this.journal({ event: "worker-started", version: VERSION, concurrency: this.deps.options.concurrency });
    this.maintain(true);
    // Say at start, not at the first escalation, when Claude is missing or not logged in.
    if (!this.deps.handlers) void preflightClaude(this.deps.config, this.deps.log);
    try {
      const catalog = await publishCatalog(this.layout, this.deps.options.scriptsDir, this.secret, this.now);
      this.deps.log.info(`scripts: ${catalog.scripts.length} whitelisted in ${this.deps.options.scriptsDir}`);
      for (const problem of catalog.problems) this.deps.log.warn(`scripts: ${problem}`);
    } catch (err) {
      this.deps.log.warn(`scripts: cannot publish the script list: ${(err as Error).message}`);
    }
    for (const [dir, fn] of [
      [
        this.layout.incoming,
        () => {
          this.claimer.markStale();
          this.scheduleScan();
        },
      ],
      [this.layout.cancel, () => this.checkCancels()],
    ] as const) {
      try {
        const w = watch(dir, fn);
        w.on("error", (err) => this.deps.log.debug(`watch ${dir}: ${err.message} (polling continues)`));
        this.watchers.push(w);
      } catch (err) {
        this.deps.log.debug(`watch ${dir} unavailable (${(err as Error).message}); polling every ${POLL_MS} ms`);
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
    this.timers.push(setInterval(() => this.maintain(false), MAINTENANCE_MS));
    this.timers.push(setInterval(() => this.gc(), GC_MS));
    this.deps.log.info(`process tracking: ${describeTracking(tracking)}`);
    this.deps.log.info(
      `worker ${this.id}: watching ${this.layout.incoming} (concurrency ${this.deps.options.concurrency}, scripts ${this.deps.options.scriptsDir})`,
    );
    this.scheduleScan();
    // The first use of secretlint's rules is slow: pay it now rather than at the end of the first job.
    if (this.deps.config.redact) setTimeout(() => void warmUpRedaction(), 0);
  }

  private beat(): void {
    const hb: Heartbeat = {
      workerId: this.id,
      pid: process.pid,
      hostname: hostname(),
      version: VERSION,
      startedAt: this.startedAt,
      at: new Date(this.now()).toISOString(),
      concurrency: this.deps.options.concurrency,
      running: [...this.slots.keys()],
      draining: this.draining,
      ...(PID_NAMESPACE ? { pidNamespace: PID_NAMESPACE } : {}),
      trustProjectSettings: trustShown(this.deps.options.trustProjectSettings),
    };
    try {
      writeFileAtomic(
        this.layout.d.tmp,
        this.layout.d.workers,
        `${this.id}.json`,
        JSON.stringify(signHeartbeat(hb, this.secret)),
        { sync: false },
      );
    } catch (err) {
      this.deps.log.warn(`heartbeat: ${(err as Error).message}`);
    }
  }

  private maintain(first: boolean): void {
    try {
      const marked = recoverOrphans({ ...this.lockDeps, journal: this.journal, selfId: this.id });
      if (marked.length)
        this.deps.log.warn(`marked ${marked.length} job(s) of stopped workers as interrupted: ${marked.join(", ")}`);
    } catch (err) {
      this.deps.log.warn(`recovery: ${(err as Error).message}`);
    }
    if (first) this.gc();
    else
      void publishCatalog(this.layout, this.deps.options.scriptsDir, this.secret, this.now).catch((err) =>
        this.deps.log.warn(`scripts: cannot publish the script list: ${(err as Error).message}`),
      );
  }

  private gc(): void {
    try {
      collectGarbage({
        layout: this.layout,
        journal: this.journal,
        now: this.now,
        secret: this.secret,
        retentionMs: this.deps.config.jobRetention,
        maxAgeMs: this.deps.config.jobMaxAge,
      });
    } catch (err) {
      this.deps.log.warn(`gc: ${(err as Error).message}`);
    }
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
    const controller = new AbortController();
    const slot: Slot = { controller, cwdKey, shared, done: Promise.resolve() };
    this.slots.set(id, slot);
    this.journal({ event: "claimed", id });
    const claimedAt = new Date(this.now()).toISOString();
    slot.done = (async () => {
      // Signed proof that this worker claimed the job, for recovery should it die now.
      saveCheckpoint(this.layout.d.tmp, this.runDir, { job: id, worker: this.id, claimedAt }, this.secret);
      const job: Job | undefined = takeIn(
        {
          layout: this.layout,
          secret: this.secret,
          maxAgeMs: this.deps.config.jobMaxAge,
          now: this.now,
          journal: this.journal,
        },
        this.runDir,
        id,
      );
      if (!job) {
        removeQuietly(this.runDir, `${id}.checkpoint.json`);
        return;
      }
      const verifiedKey = cwdKeyOf(job.kind, job.body, this.deps.options.allowRoots);
      const verifiedShared =
        verifiedKey !== undefined &&
        sharesDirectory(job.body, verifiedKey, {
          ceiling: this.deps.options.permissionMode,
          modes: this.deps.config.claudeReadOnlyModes,
          trustProjectSettings: this.deps.options.trustProjectSettings,
        });
      if (verifiedKey && (verifiedKey !== cwdKey || verifiedShared !== Boolean(shared))) {
        // The verified body differs from the peeked one: lock what it really asks for instead.
        if (cwdKey) unlockJobCwd(this.lockDeps, cwdKey, this.id, id, shared);
        Object.assign(slot, { cwdKey: verifiedKey, shared: verifiedShared });
        const lock = () =>
          verifiedShared
            ? tryLockShared(this.lockDeps, verifiedKey, this.id, id)
            : tryLockExclusive(this.lockDeps, verifiedKey, this.id);
        while (!controller.signal.aborted && !lock()) await Bun.sleep(500);
      }
      const handler = (this.deps.handlers ?? handlerFor)(job.kind) as JobHandler | undefined;
      const result = await runJob(
        {
          layout: this.layout,
          journal: this.journal,
          now: this.now,
          log: this.deps.log,
          config: this.deps.config,
          options: this.deps.options,
          runDir: this.runDir,
          workerId: this.id,
          claimedAt,
          handler,
          secret: this.secret,
        },
        job,
        controller,
        () => slot.cause,
      );
      this.deps.log.info(`job ${id} (${job.kind}): ${result.state}${result.error ? ` — ${result.error.message}` : ""}`);
    })()
      .catch((err) => {
        // An unexpected error (e.g. the disk): record it rather than leave the job "running".
        this.deps.log.error(`job ${id}: ${(err as Error).stack ?? err}`);
        try {
          writeResult(
            this.layout,
            {
              id,
              kind: kindOfId(id)!,
              state: "failed",
              outcome: null,
              error: { code: "QUEUE_FAILED", message: `The worker could not run the job: ${(err as Error).message}` },
              finishedAt: new Date(this.now()).toISOString(),
            },
            this.secret,
            { supersedeRecovered: true },
          );
          renameSync(this.runDir.at(`${id}.json`), this.layout.d.jobs.at(`${id}.json`));
        } catch {
          /* left for recovery when this worker stops */
        }
      })
      .finally(() => {
        if (slot.cwdKey) unlockJobCwd(this.lockDeps, slot.cwdKey, this.id, id, slot.shared);
        this.slots.delete(id);
        this.beat();
        this.scheduleScan();
        if (this.deps.options.once && !this.draining) this.scan();
      });
  }

  private checkCancels(): void {
    for (const [id, slot] of this.slots) {
      if (!slot.controller.signal.aborted && cancelRequested(this.layout, id, this.secret)) {
        slot.cause = "cancel";
        slot.controller.abort("cancel");
        this.journal({ event: "cancelling", id });
      }
    }
  }

  /** Stops claiming; waits up to the grace period for running jobs, then stops them. */
  async stop(why: string): Promise<void> {
    if (this.draining) return this.stopped;
    this.draining = true;
    this.beat();
    this.deps.log.info(`worker ${this.id}: stopping (${why}); ${this.slots.size} job(s) in flight`);
    this.journal({ event: "worker-stopping", reason: why, inFlight: [...this.slots.keys()] });
    const all = () => Promise.allSettled([...this.slots.values()].map((s) => s.done));
    if (this.slots.size) {
      const graceOver = await raceTimeout(all(), this.deps.options.graceMs);
      if (graceOver) {
        for (const slot of this.slots.values()) {
          slot.cause ??= "shutdown";
          slot.controller.abort("shutdown");
        }
        await raceTimeout(all(), SHUTDOWN_STOP_WAIT_MS);
      }
    }
    for (const w of this.watchers) w.close();
    for (const t of this.timers) clearInterval(t);
    if (this.slots.size === 0) {
      this.runDir?.close();
      try {
        rmdirSync(this.layout.d.running.at(this.id));
      } catch {
        /* jobs left: the next worker marks them interrupted */
      }
      removeQuietly(this.layout.d.workers, `${this.id}.json`);
      recordWorkerStop(
        this.layout,
        {
          workerId: this.id,
          pid: process.pid,
          hostname: hostname(),
          stoppedAt: new Date(this.now()).toISOString(),
          reason: why,
        },
        this.secret,
      );
    }
    this.journal({ event: "worker-stopped", reason: why });
    this.finished();
  }
}
