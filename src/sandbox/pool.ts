/**
 * The warm pool: containers started ahead of time so a call pays only the channel round trip.
 * A container serves one call at a time; afterwards it is reset and returned (see service.ts) or
 * replaced in the background. Idle containers are removed after MCP_BRIDGE_IDLE_TIMEOUT;
 * the next call refills the pool.
 */
import type { ConsolaInstance } from "consola";
import { describeError } from "../errors.ts";
import type { SandboxContainer } from "./container.ts";

export interface PoolDeps {
  /** Starts one ready container. */
  start(): Promise<SandboxContainer>;
  /** Removes a container for good. */
  remove(c: SandboxContainer): void;
  log: ConsolaInstance;
}

/** How long a call waits for a container being freed before it starts a new one. */
export const GRACE_MS = 150;

export class WarmPool {
  private ready: SandboxContainer[] = [];
  private starting = 0;
  private resetting = 0;
  private busy = 0;
  private waiters: Array<(c: SandboxContainer | undefined) => void> = [];
  private idleTimer?: Timer;
  private stopped = false;
  private lastError?: string;

  /** `graceMs`: how long a call waits for a container being freed (0 when containers are not reused). */
  constructor(
    private readonly size: number,
    private readonly idleMs: number,
    private readonly deps: PoolDeps,
    private readonly graceMs = GRACE_MS,
  ) {}

  /**
   * A ready container for one call. From the pool when one is waiting; else, if calls are running
   * or containers are being reset (a reset takes tens of ms, a start hundreds), the first container
   * freed within GRACE_MS; else a new one is started, still racing any container freed meanwhile
   * (the loser goes to the pool). The pool is not refilled here: start-up CPU would slow the call.
   */
  async acquire(): Promise<SandboxContainer> {
    let c: SandboxContainer | undefined;
    while ((c = this.ready.shift())) if (!c.dead) break;
    c ??= await this.freedOrStarted();
    this.busy++;
    return c;
  }

  /** A call that acquired a container has ended (or the container left the pool, e.g. to a session). */
  callEnded(): void {
    this.busy = Math.max(0, this.busy - 1);
  }

  private async freedOrStarted(): Promise<SandboxContainer> {
    let take!: (c: SandboxContainer | undefined) => void;
    const freed = new Promise<SandboxContainer | undefined>((resolve) => {
      take = resolve;
    });
    this.waiters.push(take);
    const cancel = () => {
      this.waiters = this.waiters.filter((w) => w !== take);
    };
    if (this.graceMs > 0 && this.busy + this.resetting > 0) {
      const early = await Promise.race([freed, Bun.sleep(this.graceMs).then(() => undefined)]);
      if (early) return early;
    }
    const started = this.deps.start().then((c) => ({ c, fresh: true }));
    let win: { c: SandboxContainer; fresh: boolean };
    try {
      win = await Promise.race([freed.then((c) => (c ? { c, fresh: false } : started)), started]);
    } finally {
      cancel();
    }
    // Whatever lost the race is not wasted: it goes to the pool (or is removed when the pool is full).
    const keep = (c: SandboxContainer) => {
      if (c !== win.c && !this.put(c)) this.deps.remove(c);
    };
    if (!win.fresh)
      started.then(
        (s) => keep(s.c),
        () => {},
      );
    void freed.then((c) => {
      if (c) keep(c);
    });
    return win.c;
  }

  /** A used container is being reset for reuse; `endReset` must follow. */
  beginReset(): void {
    this.resetting++;
  }

  /**
   * A reset finished (`c`) or failed (undefined). The container goes to the longest-waiting call
   * or back to the pool; false means the caller must remove it.
   */
  endReset(c: SandboxContainer | undefined): boolean {
    this.resetting--;
    if (!c || c.dead) return false;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(c);
      return true;
    }
    return this.put(c);
  }

  /** Puts a reset container back; false (caller removes it) when the pool is full or stopped. */
  put(c: SandboxContainer): boolean {
    if (this.stopped || c.dead || this.ready.length + this.starting >= this.size) return false;
    this.ready.push(c);
    void c.closed.then(() => {
      this.ready = this.ready.filter((x) => x !== c);
    });
    this.armIdleTimer();
    return true;
  }

  /** Starts containers until `size` are ready or starting. Failures are logged once, not retried in a loop. */
  refill(): void {
    if (this.stopped) return;
    this.armIdleTimer();
    while (this.ready.length + this.starting < this.size) {
      this.starting++;
      this.deps.start().then(
        (c) => {
          this.starting--;
          this.lastError = undefined;
          if (this.stopped) return this.deps.remove(c);
          this.ready.push(c);
          void c.closed.then(() => {
            this.ready = this.ready.filter((x) => x !== c);
          });
        },
        (err) => {
          this.starting--;
          const msg = describeError(err);
          if (msg !== this.lastError) this.deps.log.warn(`sandbox: could not pre-start a container: ${msg}`);
          this.lastError = msg;
        },
      );
      if (this.lastError) break; // the engine is failing: do not start a storm of doomed containers
    }
  }

  /** Containers waiting in the pool (for shutdown). */
  get idle(): SandboxContainer[] {
    return [...this.ready];
  }

  /** Stops refilling and hands back every waiting container. */
  stop(): SandboxContainer[] {
    this.stopped = true;
    for (const w of this.waiters.splice(0)) w(undefined);
    clearTimeout(this.idleTimer);
    const all = this.ready;
    this.ready = [];
    return all;
  }

  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    if (this.idleMs <= 0) return;
    this.idleTimer = setTimeout(() => {
      const idle = this.ready;
      this.ready = [];
      if (idle.length) this.deps.log.debug(`sandbox: removing ${idle.length} idle pool container(s)`);
      for (const c of idle) this.deps.remove(c);
    }, this.idleMs);
    this.idleTimer.unref?.();
  }
}
