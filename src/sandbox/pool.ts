/**
 * The warm pool: containers started ahead of time so a call pays only the channel round trip.
 * Each container serves ONE call (clean state by construction) and is replaced in the background.
 * Idle containers are removed after MCP_BRIDGE_RUNTIME_IDLE_TIMEOUT; the next call refills the pool.
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

export class WarmPool {
  private ready: SandboxContainer[] = [];
  private starting = 0;
  private resetting = 0;
  private waiters: Array<(c: SandboxContainer | undefined) => void> = [];
  private idleTimer?: Timer;
  private stopped = false;
  private lastError?: string;

  constructor(private readonly size: number, private readonly idleMs: number, private readonly deps: PoolDeps) {}

  /**
   * A ready container for one call: from the pool when one is waiting, else one being reset (a
   * reset takes tens of ms, a start hundreds), else started now. The pool is not refilled while a
   * call runs: starting a container costs CPU the call needs. The caller refills when done.
   */
  async acquire(): Promise<SandboxContainer> {
    let c: SandboxContainer | undefined;
    while ((c = this.ready.shift())) {
      if (!c.dead) return c;
    }
    if (this.resetting > this.waiters.length) {
      c = await new Promise<SandboxContainer | undefined>((resolve) => this.waiters.push(resolve));
      if (c) return c;
    }
    this.refill(); // empty pool (burst): start replacements now, alongside this call's own container
    return this.deps.start();
  }

  /** A used container is being reset for reuse; `endReset` must follow. */
  beginReset(): void {
    this.resetting++;
  }

  /**
   * A reset finished (`c`) or failed (undefined). The container goes to a waiting call or back to
   * the pool; false means the caller must remove it.
   */
  endReset(c: SandboxContainer | undefined): boolean {
    this.resetting--;
    if (c && !c.dead) {
      const waiter = this.waiters.shift();
      if (waiter) {
        waiter(c);
        return true;
      }
      return this.put(c);
    }
    // A call waiting for this reset now starts a container of its own.
    if (this.waiters.length > this.resetting) this.waiters.shift()!(undefined);
    return false;
  }

  /** Puts a reset container back; false (caller removes it) when the pool is full or stopped. */
  put(c: SandboxContainer): boolean {
    if (this.stopped || c.dead || this.ready.length + this.starting >= this.size) return false;
    this.ready.push(c);
    void c.closed.then(() => { this.ready = this.ready.filter((x) => x !== c); });
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
          void c.closed.then(() => { this.ready = this.ready.filter((x) => x !== c); });
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
