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
  private idleTimer?: Timer;
  private stopped = false;
  private lastError?: string;

  constructor(private readonly size: number, private readonly idleMs: number, private readonly deps: PoolDeps) {}

  /**
   * A ready container for one call: from the pool when one is waiting, else started now. The pool
   * is not refilled here: starting a container costs a few hundred ms of CPU, which would slow the
   * call that is about to run. The caller refills once its call is done.
   */
  async acquire(): Promise<SandboxContainer> {
    let c: SandboxContainer | undefined;
    while ((c = this.ready.shift())) {
      if (!c.dead) return c;
    }
    this.refill(); // empty pool (burst): start replacements now, alongside this call's own container
    return this.deps.start();
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
