/**
 * Named sessions: a container whose interpreter (and its variables) lives across calls with the
 * same `session` name. Calls to one session run one at a time; a session idle for
 * MCP_BRIDGE_IDLE_TIMEOUT is stopped and its container removed. When a session's container ends
 * (a kill, a timeout, idle expiry, a crash), the store remembers why, and the next call with that
 * name is told that it starts fresh instead of meeting a bare NameError.
 */
import type { ConsolaInstance } from "consola";
import { formatDuration } from "../config/index.ts";
import { BridgeError } from "../errors.ts";
import type { SandboxContainer } from "./container.ts";

/** Most sessions alive at once (each holds a container and up to the memory limit). */
export const MAX_SESSIONS = 16;
/** How many ended sessions' reasons are remembered (oldest forgotten first). */
const MAX_REMEMBERED = 256;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Throws USAGE unless the name is 1-64 letters, digits, `_`, `.` or `-`. */
export function validateSessionName(name: string): void {
  if (!NAME.test(name)) {
    throw new BridgeError("USAGE", `invalid session name ${JSON.stringify(name.slice(0, 80))}`, {
      hint: "Use 1-64 letters, digits, '_', '.' or '-'.",
    });
  }
}

interface Session {
  container?: SandboxContainer;
  queue: Promise<unknown>;
  timer?: Timer;
  /** Calls queued or running: the idle timer only runs when this is 0. */
  pending: number;
}

export interface SessionDeps {
  start(): Promise<SandboxContainer>;
  remove(c: SandboxContainer): void;
  log: ConsolaInstance;
}

export class SessionStore {
  private sessions = new Map<string, Session>();
  /** Why a session's last container ended, until the next call with that name hears it. */
  private ended = new Map<string, string>();
  private stopped = false;

  constructor(
    private readonly idleMs: number,
    private readonly deps: SessionDeps,
  ) {}

  /**
   * Runs `fn` with the session's container (started on first use), after earlier calls to the same
   * session. When `fn` reports `keep: false` the container is dropped (`lost` says why) and the next
   * call starts anew; `fn` then receives a notice saying so.
   */
  use<T extends { keep: boolean; lost?: string }>(
    name: string,
    fn: (c: SandboxContainer, notice?: string) => Promise<T>,
  ): Promise<T> {
    let s = this.sessions.get(name);
    if (!s) {
      if (this.sessions.size >= MAX_SESSIONS) {
        throw new BridgeError("USAGE", `too many sessions (${MAX_SESSIONS} alive)`, {
          hint: "Reuse a session name, or wait for idle sessions to expire (MCP_BRIDGE_IDLE_TIMEOUT).",
        });
      }
      s = { queue: Promise.resolve(), pending: 0 };
      this.sessions.set(name, s);
    }
    const session = s;
    clearTimeout(session.timer);
    session.pending++;
    const run = session.queue.then(async () => {
      if (this.stopped) throw new BridgeError("SANDBOX_FAILED", "bridge is shutting down");
      if (session.container?.dead)
        this.remember(
          name,
          `its container stopped since the last call${session.container.stderr().trim() ? ` (${session.container.stderr().trim().split("\n").pop()})` : ""}`,
        );
      let notice: string | undefined;
      if (!session.container || session.container.dead) {
        const why = this.ended.get(name);
        this.ended.delete(name);
        if (why)
          notice = `session "${name}" starts fresh: ${why}; variables, imports and files from earlier calls are gone`;
        session.container = await this.deps.start();
      }
      const container = session.container;
      const result = await fn(container, notice);
      if (!result.keep) {
        this.deps.remove(container);
        session.container = undefined;
        this.remember(name, result.lost ?? "its container was removed");
      }
      return result;
    });
    session.queue = run
      .catch(() => {})
      .finally(() => {
        session.pending--;
        this.armIdle(name, session);
      });
    return run;
  }

  /** Stops every session's timer and returns their containers. */
  stop(): SandboxContainer[] {
    this.stopped = true;
    const all: SandboxContainer[] = [];
    for (const s of this.sessions.values()) {
      clearTimeout(s.timer);
      if (s.container) all.push(s.container);
    }
    this.sessions.clear();
    return all;
  }

  private remember(name: string, why: string): void {
    this.ended.delete(name);
    this.ended.set(name, why);
    if (this.ended.size > MAX_REMEMBERED) this.ended.delete(this.ended.keys().next().value!);
  }

  private armIdle(name: string, session: Session): void {
    if (this.sessions.get(name) !== session || this.idleMs <= 0 || session.pending > 0) return;
    clearTimeout(session.timer);
    session.timer = setTimeout(() => {
      if (this.sessions.get(name) !== session || session.pending > 0) return;
      this.deps.log.debug(`sandbox: session "${name}" idle; removing its container`);
      this.sessions.delete(name);
      if (session.container) {
        this.deps.remove(session.container);
        this.remember(
          name,
          `it was idle for ${formatDuration(this.idleMs)} (MCP_BRIDGE_IDLE_TIMEOUT) and its container was removed`,
        );
      }
    }, this.idleMs);
    session.timer.unref?.();
  }
}
