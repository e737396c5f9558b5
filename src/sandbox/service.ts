/**
 * SandboxService: runs Python cells in containers. One fresh container per call from the warm pool
 * (or a named session's container), a hard timeout and cancellation that kill and remove the
 * container, capped output, images, and host methods for sandbox extensions. Used by the run_python
 * tool and by `bridge run`.
 */
import type { ConsolaInstance } from "consola";
import type { Config } from "../config/index.ts";
import { BridgeError, describeError } from "../errors.ts";
import type { RunOutcome } from "../output/format.ts";
import { buildKillArgv, buildRemoveArgv } from "./argv.ts";
import { type CellContext, type RunRequest, runCell } from "./cell.ts";
import { SandboxContainer, type SpawnProcess, spawnProcess } from "./container.ts";
import { type EngineDeps, isCrunCgroupError } from "./engine.ts";
import type { HostMethod, SandboxExtension } from "./extension.ts";
import { type EngineSetup, launchPlan, prepareEngine, remoteDataCopy } from "./launch.ts";
import { GRACE_MS, WarmPool } from "./pool.ts";
import { SessionStore, validateSessionName } from "./sessions.ts";

export type { RunRequest } from "./cell.ts";
export { UNENFORCED_LIMITS } from "./launch.ts";

export interface SandboxServiceDeps {
  engine: EngineDeps;
  spawn?: SpawnProcess;
  log: ConsolaInstance;
  extensions: SandboxExtension[];
  /** Pull a missing image (default); false: fail with IMAGE_MISSING instead (serve). */
  pullImage?: boolean;
  /** Owner label value (the bridge process id). */
  pid?: number;
}

/** Calls one container may serve (with MCP_BRIDGE_RECYCLE) before it is replaced. */
const MAX_USES = 100;
/** Time `shutdown` may take; the first part waits for containers to end on their own. */
const SHUTDOWN_WAIT_MS = 600;

const SHUTDOWN_GRACE_MS = 350;
/** After `podman kill`, how long to wait for `run --rm` to remove the container before `rm -f`. */
const KILL_WAIT_MS = 5000;

export class SandboxService {
  private engineReady?: Promise<EngineSetup>;
  /** The resolved setup, once engineReady has resolved. */
  private setup?: EngineSetup;
  private warmReported = false;
  private readonly spawn: SpawnProcess;
  private readonly pid: number;
  /** Every container this service started and that has not exited: name → container (undefined while starting). */
  private readonly live = new Map<string, SandboxContainer | undefined>();
  private readonly pool: WarmPool;
  private readonly sessions: SessionStore;
  private readonly methods = new Map<string, HostMethod>();
  private counter = 0;
  private closing = false;
  private warnedFilter = false;
  /** Containers are reset and reused after a call (MCP_BRIDGE_RECYCLE and a pool to return them to). */
  private readonly reuse: boolean;
  /** What runCell (cell.ts) needs from this service. */
  private readonly cell: CellContext;

  constructor(
    private readonly config: Config,
    private readonly deps: SandboxServiceDeps,
  ) {
    this.spawn = deps.spawn ?? spawnProcess;
    this.cell = {
      config,
      methods: this.methods,
      outputFolder: () => this.setup?.folders.output,
      remove: (containers, force) => this.remove(containers, force),
    };
    this.pid = deps.pid ?? process.pid;
    for (const ext of deps.extensions) {
      for (const [name, fn] of Object.entries(ext.methods)) if (!this.methods.has(name)) this.methods.set(name, fn);
    }
    const remove = (c: SandboxContainer) => void this.remove([c]);
    this.reuse = config.recycle && config.poolSize > 0;
    this.pool = new WarmPool(
      config.poolSize,
      config.idleTimeout,
      { start: () => this.startContainer(), remove, log: deps.log },
      this.reuse ? GRACE_MS : 0,
    );
    // A new session takes a warm container from the pool (it is never reset or returned).
    const startSession = async () => {
      const c = await this.pool.acquire();
      this.pool.callEnded(); // the session owns it now
      this.pool.refill();
      return c;
    };
    this.sessions = new SessionStore(config.idleTimeout, { start: startSession, remove, log: deps.log });
  }

  /** Detects the engine and fills the pool in the background (errors surface on the first call). */
  warm(): void {
    if (this.config.poolSize === 0) return;
    this.ensureEngine().then(
      () => this.pool.refill(),
      (err) => this.deps.log.warn(`sandbox: ${describeError(err)}`),
    );
  }

  /** The engine in use and the allowed folders, checked once (retried after a failure). */
  ensureEngine(): Promise<EngineSetup> {
    this.engineReady ??= prepareEngine(this.config, this.deps).then((setup) => (this.setup = setup));
    this.engineReady.catch(() => {
      this.engineReady = undefined;
    });
    return this.engineReady;
  }

  /** Runs one cell and reports what happened. Throws only for bad requests and engine failures. */
  async run(req: RunRequest): Promise<RunOutcome> {
    if (this.closing) throw new BridgeError("SANDBOX_FAILED", "bridge is shutting down");
    if (req.session !== undefined) validateSessionName(req.session);
    const timeoutMs = Math.min(req.timeoutMs ?? this.config.timeout, this.config.maxTimeout);
    const callEnd = new AbortController();
    const onAbort = () => callEnd.abort();
    req.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const servers = req.servers ?? [];
      const contexts = await Promise.all(this.deps.extensions.map((e) => e.prepare({ servers }, callEnd.signal)));
      if (req.session !== undefined) {
        const session = req.session;
        const {
          keep: _,
          lost: __,
          ...outcome
        } = await this.sessions.use(session, async (c, notice) => ({
          ...(await runCell(this.cell, c, req, contexts, timeoutMs, callEnd.signal, session)),
          ...(notice ? { notice } : {}),
        }));
        return outcome;
      }
      const c = await this.pool.acquire();
      let reusable = false;
      try {
        const { keep, lost: _, ...outcome } = await runCell(this.cell, c, req, contexts, timeoutMs, callEnd.signal);
        reusable = keep;
        return outcome;
      } finally {
        void this.recycleOrRemove(c, reusable);
      }
    } finally {
      req.signal?.removeEventListener("abort", onAbort);
      callEnd.abort();
    }
  }

  /**
   * After a pool call: with MCP_BRIDGE_RECYCLE, a healthy container is reset (processes killed,
   * scratch dirs wiped, fresh interpreter) and goes back to the pool; otherwise it is removed and
   * the pool refilled with a new container.
   */
  private async recycleOrRemove(c: SandboxContainer, healthy: boolean): Promise<void> {
    this.pool.callEnded();
    if (this.reuse && healthy && !this.closing && c.runtimePid === 1 && c.uses < MAX_USES) {
      this.pool.beginReset();
      try {
        const data = this.setup ? remoteDataCopy(this.setup) : undefined;
        await c.reset(5000 + (data ? Math.ceil(data.bytes / 10_000) : 0), data);
      } catch (err) {
        this.deps.log.debug(`sandbox: reset of ${c.name} failed: ${describeError(err)}`);
        this.pool.endReset(undefined);
        await this.remove([c], true);
        return this.pool.refill();
      }
      if (!this.pool.endReset(c)) void this.remove([c]);
      return;
    }
    void this.remove([c]);
    this.pool.refill();
  }

  private async startContainer(retried = false): Promise<SandboxContainer> {
    const { engine, rlimits, folders } = await this.ensureEngine();
    const name = `bridge-${this.pid}-${++this.counter}-${Math.random().toString(36).slice(2, 8)}`;
    const usedRuntime = engine.ociRuntime;
    const plan = launchPlan(
      this.config,
      { engine, rlimits, folders },
      this.deps.extensions,
      name,
      this.pid,
      usedRuntime,
    );
    this.live.set(name, undefined);
    let refusal: BridgeError | undefined;
    try {
      const c = await SandboxContainer.start(name, plan.argv, plan.init, this.spawn, undefined, plan.data);
      if (plan.mounted && c.syscallFilter !== true) {
        // No user code has run yet (cells come only in `exec` frames): end it before any can.
        void this.remove([c], true);
        refusal = new BridgeError(
          "SANDBOX_FAILED",
          `the sandbox's syscall filter could not be installed (${this.config.noNewPrivileges ? "unsupported CPU architecture: bridge's filter knows x86_64 and aarch64" : "no-new-privileges is off"}), and without it sandbox code could connect to host unix sockets in the allowed folders: bridge does not mount folders without it`,
          {
            hint: "Remove MCP_BRIDGE_FOLDERS, or run on an x86_64 or aarch64 host.",
          },
        );
        throw refusal;
      }
      this.reportWarm(c);
      if (c.syscallFilter === false && !this.warnedFilter) {
        this.warnedFilter = true;
        this.deps.log.warn(
          `sandbox: the in-container syscall filter is off (${this.config.noNewPrivileges ? "unsupported CPU architecture" : "MCP_BRIDGE_NO_NEW_PRIVILEGES=false"}): AF_VSOCK sockets, io_uring and keyrings are refused only ${plan.seccompProfile ? "by bridge's seccomp profile" : "if the engine's own profile refuses them"}.`,
        );
      }
      if (this.live.has(name)) this.live.set(name, c);
      void c.closed.then(() => this.live.delete(name));
      return c;
    } catch (err) {
      this.live.delete(name);
      if (err === refusal) throw err;
      const msg = describeError(err);
      // Concurrent starts may all fail this way: each retries, the first switches and warns.
      if (
        !retried &&
        engine.name === "podman" &&
        !this.config.ociRuntime &&
        !usedRuntime &&
        isCrunCgroupError(msg) &&
        this.deps.engine.which("runc")
      ) {
        if (!engine.ociRuntime) {
          engine.ociRuntime = "runc";
          this.deps.log.warn(
            "sandbox: crun cannot run containers on this host (hybrid cgroups); using runc. Set MCP_BRIDGE_OCI_RUNTIME=runc to skip this retry.",
          );
        }
        return this.startContainer(true);
      }
      const killed = /exit code 137\b/.test(msg);
      throw new BridgeError(
        "SANDBOX_FAILED",
        `could not start a sandbox container with ${engine.name}: ${msg}${killed ? " (killed while starting)" : ""}`,
        {
          hint: killed
            ? `MCP_BRIDGE_MEMORY=${this.config.memory} may be too low for Python to start; try 256m or more.`
            : "Run `bridge doctor`. On hosts where crun fails, set MCP_BRIDGE_OCI_RUNTIME=runc.",
        },
      );
    }
  }

  /** Logs once which warm imports failed (a module named in MCP_BRIDGE_WARM_IMPORTS the image lacks, or one that broke). */
  private reportWarm(c: SandboxContainer): void {
    if (this.warmReported || !c.warm) return;
    this.warmReported = true;
    const failed = Object.entries(c.warm.failed);
    if (failed.length)
      this.deps.log.warn(
        `sandbox: warm imports failed in ${this.config.image}: ${failed.map(([m, e]) => `${m} (${e})`).join("; ")}. Fix MCP_BRIDGE_WARM_IMPORTS or the image.`,
      );
    else this.deps.log.debug(`sandbox: warm imports: ${c.warm.ok.join(", ") || "none"}`);
  }

  /**
   * Ends containers. Closing stdin makes the runtime exit and the engine remove the container
   * (--rm); `force` SIGKILLs them and waits until their `run --rm` client has exited, which both
   * engines do only once the container is removed. A concurrent `rm -f` would race that removal
   * (podman can then leave a ghost "Created" entry; docker answers "removal in progress"), so
   * `rm -f` is only the fallback for a container still there after KILL_WAIT_MS.
   */
  private async remove(containers: SandboxContainer[], force = false): Promise<void> {
    for (const c of containers) c.release();
    if (!force || !containers.length) return;
    const ready = await this.engineReady?.catch(() => undefined);
    if (ready) {
      await this.deps.engine.exec(
        buildKillArgv(
          ready.engine.binary,
          containers.map((c) => c.name),
        ),
        { timeoutMs: 30_000 },
      );
      await Promise.race([Promise.all(containers.map((c) => c.closed)), Bun.sleep(KILL_WAIT_MS)]);
    }
    const left = containers.filter((c) => !c.exited);
    await this.forceRemove(left.map((c) => c.name));
    for (const c of containers) c.killClient();
  }

  private async forceRemove(names: string[]): Promise<void> {
    if (!names.length) return;
    const ready = await this.engineReady?.catch(() => undefined);
    if (!ready) return;
    const r = await this.deps.engine.exec(buildRemoveArgv(ready.engine.name, ready.engine.binary, names), {
      timeoutMs: 30_000,
    });
    if (r.exitCode !== 0 && !/no such container/i.test(r.stderr))
      this.deps.log.debug(`sandbox: rm -f ${names.join(" ")}: ${r.stderr.trim()}`);
  }

  /**
   * Removes every container this service started, within ~600 ms: closes every channel (each
   * runtime then exits and `--rm` removes its container), waits briefly, then `rm -f`s whatever is
   * still there, including containers still being created.
   */
  async shutdown(): Promise<void> {
    this.closing = true;
    this.pool.stop();
    this.sessions.stop();
    const containers = [...this.live.values()].filter((c): c is SandboxContainer => c !== undefined);
    for (const c of containers) c.release();
    if (!this.live.size) return;
    await Promise.race([Promise.all(containers.map((c) => c.closed)), Bun.sleep(SHUTDOWN_GRACE_MS)]);
    const names = [...this.live.keys()];
    if (!names.length) return;
    await Promise.race([this.forceRemove(names), Bun.sleep(SHUTDOWN_WAIT_MS - SHUTDOWN_GRACE_MS)]);
  }
}
