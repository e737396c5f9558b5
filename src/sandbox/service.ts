/**
 * SandboxService: runs Python cells in containers. One fresh container per call from the warm pool
 * (or a named session's container), a hard timeout and cancellation that kill and remove the
 * container, capped output, images, and host methods for sandbox extensions. Used by the run_python
 * tool and by `bridge run`.
 */
import type { ConsolaInstance } from "consola";
import type { Config } from "../config/index.ts";
import { formatBytes, formatDuration } from "../config/index.ts";
import { BridgeError, describeError } from "../errors.ts";
import { OutputCollector } from "../output/collector.ts";
import type { RunOutcome } from "../output/format.ts";
import { buildKillArgv, buildRemoveArgv, buildRunArgv } from "./argv.ts";
import {
  engineWorkDir,
  SandboxContainer,
  spawnProcess,
  type DataCopy,
  type DoneMessage,
  type RuntimeInit,
  type SpawnProcess,
} from "./container.ts";
import {
  detectEngine,
  ensureImage,
  isCrunCgroupError,
  requireImage,
  type EngineDeps,
  type EngineInfo,
} from "./engine.ts";
import type { CallOrigin, HostMethod, SandboxExtension } from "./extension.ts";
import { emptyFileIn, maskSpecialFiles, type Masks } from "./folder-walk.ts";
import { copyFolders, DATA_ROOT, mountArgs, REMOTE_COPY_MAX_BYTES, resolveFolders, type Folders } from "./folders.ts";
import { missingModuleHint } from "./image/hint.ts";
import { checkImage, MAX_IMAGE_BYTES, MAX_IMAGES } from "./images.ts";
import { GRACE_MS, WarmPool } from "./pool.ts";
import { hostRlimits, type SandboxRlimits } from "./rlimits.ts";
import { ResultFileCollector, saveResultFiles } from "./result-files.ts";
import { seccompOption } from "./seccomp.ts";
import { SessionStore, validateSessionName } from "./sessions.ts";
import { warmSpec } from "./warm.ts";

/** One call to run. */
export interface RunRequest {
  code: string;
  /** Milliseconds; default config.timeout, capped at config.maxTimeout. */
  timeoutMs?: number;
  session?: string;
  servers?: string[];
  signal?: AbortSignal;
  /** Streams decoded output as it arrives (progress notifications, terminal). */
  onOutput?: (text: string) => void;
  /** The client that asked for the run, handed to host methods (see CallOrigin). */
  origin?: CallOrigin;
}

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

/** Why memory/pids/CPU caps do not hold on some hosts, and what to do (also shown by doctor). */
export const UNENFORCED_LIMITS = {
  what: "rootless containers on this cgroup v1 host cannot have memory, pids or CPU limits (the engine ignores MCP_BRIDGE_MEMORY, MCP_BRIDGE_PIDS and MCP_BRIDGE_CPUS)",
  fix: "switch the host to cgroup v2, or run podman as root or docker, to enforce them",
} as const;
const SHUTDOWN_GRACE_MS = 350;
/** After `podman kill`, how long to wait for `run --rm` to remove the container before `rm -f`. */
const KILL_WAIT_MS = 5000;

/** What the service learns once per engine: the engine, the rlimits to set, the allowed folders. */
interface EngineSetup {
  engine: EngineInfo;
  rlimits: SandboxRlimits;
  folders: Folders;
}

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

  constructor(
    private readonly config: Config,
    private readonly deps: SandboxServiceDeps,
  ) {
    this.spawn = deps.spawn ?? spawnProcess;
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
    this.engineReady ??= (async () => {
      const folders = resolveFolders(this.config);
      const engine = await detectEngine(this.config, this.deps.engine);
      if (this.deps.pullImage === false) await requireImage(engine, this.config.image, this.deps.engine);
      else
        await ensureImage(engine, this.config.image, this.deps.engine, () =>
          this.deps.log.info(`sandbox: pulling ${this.config.image} (first use)...`),
        );
      if (!engine.remote && folders.read.length && !this.config.noNewPrivileges)
        throw new BridgeError(
          "CONFIG_INVALID",
          `MCP_BRIDGE_FOLDERS cannot be used with MCP_BRIDGE_NO_NEW_PRIVILEGES=false: without no-new-privileges the sandbox's own syscall filter cannot be installed, and it is what keeps sandbox code from connecting to host unix sockets in the mounted folders`,
          {
            hint: "Remove MCP_BRIDGE_NO_NEW_PRIVILEGES=false, or MCP_BRIDGE_FOLDERS.",
          },
        );
      const rlimits = hostRlimits(this.deps.engine, engine.remote);
      if (!engine.limitsEnforced) {
        // The pids cap still holds as an rlimit (per user: shared by all sandboxes, which is stricter).
        rlimits.nproc = Math.min(rlimits.nproc, this.config.pids);
        this.deps.log.warn(
          `sandbox: ${UNENFORCED_LIMITS.what}; ${UNENFORCED_LIMITS.fix}. bridge caps processes with an nproc rlimit of ${rlimits.nproc} instead.`,
        );
      }
      return (this.setup = { engine, rlimits, folders });
    })();
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
          ...(await this.execIn(c, req, contexts, timeoutMs, callEnd.signal, session)),
          ...(notice ? { notice } : {}),
        }));
        return outcome;
      }
      const c = await this.pool.acquire();
      let reusable = false;
      try {
        const { keep, lost: _, ...outcome } = await this.execIn(c, req, contexts, timeoutMs, callEnd.signal);
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

  /** Runs the request in `c`. `keep`: the container may serve again; `lost`: why a session's state is gone. */
  private async execIn(
    c: SandboxContainer,
    req: RunRequest,
    contexts: unknown[],
    timeoutMs: number,
    signal: AbortSignal,
    session?: string,
  ): Promise<RunOutcome & { keep: boolean; lost?: string }> {
    const output = new OutputCollector(this.config.maxOutput);
    const files = new ResultFileCollector();
    const note = (text: string) => output.push(new TextEncoder().encode(`[bridge: ${text}]\n`));
    const images: Uint8Array[] = [];
    let imageBytes = 0;
    let imagesDropped = false;
    const text = new TextDecoder();
    const encoder = new TextEncoder();
    const servers = req.servers ?? [];
    const done = c.exec(
      req.code,
      contexts,
      {
        onOutput: (chunk) => {
          output.push(chunk);
          req.onOutput?.(text.decode(chunk, { stream: true }));
        },
        onImage: (bytes, dropped) => {
          const check =
            dropped === undefined
              ? checkImage(bytes)
              : { ok: false as const, reason: `${dropped} bytes, more than ${formatBytes(MAX_IMAGE_BYTES)}` };
          if (!check.ok) return output.push(encoder.encode(`\n[bridge: image dropped: ${check.reason}]\n`));
          imageBytes += bytes.length;
          if (images.length < MAX_IMAGES && imageBytes <= MAX_IMAGE_BYTES) return void images.push(bytes);
          if (!imagesDropped)
            output.push(
              encoder.encode(
                `\n[bridge: image dropped: at most ${MAX_IMAGES} images and ${formatBytes(MAX_IMAGE_BYTES)} of images per call]\n`,
              ),
            );
          imagesDropped = true;
        },
        onFile: (header, body, dropped) => files.push(header, body, dropped),
        onCall: (method, params) => {
          const fn = this.methods.get(method);
          if (!fn)
            throw new BridgeError("USAGE", `unknown host method "${method}"`, {
              hint: `known: ${[...this.methods.keys()].join(", ") || "none"}`,
            });
          return fn(params, { signal, servers, origin: req.origin });
        },
      },
      this.config.maxOutput,
    );
    let timer: Timer | undefined;
    const stopped = new Promise<"timeout" | "cancelled">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
      if (signal.aborted) resolve("cancelled");
      signal.addEventListener("abort", () => resolve("cancelled"), { once: true });
    });
    const base = { images } as const;
    const lostState = (why: string) =>
      session === undefined ? "" : ` Session "${session}" lost its state (${why}): the next call in it starts fresh.`;
    try {
      const first = await Promise.race([done, stopped]);
      if (first === "timeout" || first === "cancelled") {
        done.catch(() => {});
        await this.remove([c], true);
        const lost =
          first === "timeout"
            ? `the call before timed out after ${formatDuration(timeoutMs)}`
            : "the call before was cancelled";
        const why =
          first === "timeout"
            ? `timed out after ${formatDuration(timeoutMs)}: the container was killed and removed; output up to that point is shown.${lostState("timeout")}`
            : `cancelled by the client: the container was killed and removed.${lostState("cancelled")}`;
        return { ...base, keep: false, lost, status: first, output: output.result(), error: why };
      }
      const results = files.files();
      const folder = this.setup?.folders.output;
      for (const n of [...files.notes, ...(folder ? saveResultFiles(results, folder) : [])]) note(n);
      const mapped = this.mapDone(first);
      if (!first.kernelDied && !first.discard)
        return { ...base, ...mapped, output: output.result(), files: results, keep: true };
      const lost = first.discard
        ? "the call before sent an end-of-run message bridge refused, so its container was discarded"
        : first.status === "killed" && first.signal === 9 && first.oomKilled !== false
          ? `the call before was killed, ${first.oomKilled ? "for exceeding" : "most likely for exceeding"} the memory limit (${this.config.memory})`
          : "the Python process of the call before ended";
      const why = first.discard
        ? "its container was discarded"
        : first.status === "killed"
          ? "killed"
          : "its Python process ended";
      const error =
        session === undefined
          ? mapped.error
          : `${mapped.error ? `${mapped.error.replace(/\.?\s*$/, ".")}` : ""}${lostState(why)}`.trim();
      return {
        ...base,
        ...mapped,
        ...(error ? { error } : {}),
        output: output.result(),
        files: results,
        keep: false,
        lost,
      };
    } catch (err) {
      void this.remove([c], true);
      const msg = describeError(err);
      // Exit code 137: the container's init was SIGKILLed (the OOM killer, or `kill`); anything else is no evidence of memory.
      const oom = /exit code 137\b/.test(msg);
      const reason = oom
        ? `${msg}. The container was killed: most likely the code exceeded the memory limit (${this.config.memory}).`
        : `${msg}. The container was discarded.`;
      const lost = oom
        ? `the container of the call before was killed (most likely the memory limit, ${this.config.memory})`
        : "the container of the call before stopped";
      return {
        ...base,
        keep: false,
        lost,
        status: "killed",
        output: output.result(),
        error: `${reason}${lostState("its container stopped")}`,
      };
    } finally {
      clearTimeout(timer);
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
        const data = this.dataCopy();
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

  private mapDone(d: DoneMessage): Omit<RunOutcome, "output" | "images"> {
    switch (d.status) {
      case "ok":
        return {
          status: "ok",
          ...(d.value !== undefined
            ? {
                value: capText(d.value, this.config.maxOutput),
                ...(d.valueTotal !== undefined ? { valueTotalBytes: d.valueTotal } : {}),
              }
            : {}),
        };
      case "error": {
        const error = capText(d.error ?? "error", this.config.maxOutput);
        const hint = missingModuleHint(error, this.config.image);
        return {
          status: "error",
          error: hint ? `${error.replace(/\n$/, "")}\n${hint}\n` : error,
          ...(d.errorTotal !== undefined ? { errorTotalBytes: d.errorTotal } : {}),
        };
      }
      case "exit":
        return { status: "exit", exitCode: d.exitCode ?? 0 };
      case "killed": {
        const limit = this.config.memory;
        const why = d.oomKilled
          ? `the Python process was killed: it exceeded the memory limit (${limit})`
          : d.signal !== 9
            ? `the Python process was killed by signal ${d.signal ?? "(unknown)"}`
            : d.oomKilled === false
              ? `the Python process was killed by SIGKILL (not by the memory limit of ${limit}: the container recorded no out-of-memory kill)`
              : `the Python process was killed (SIGKILL): most likely it exceeded the memory limit (${limit})`;
        return { status: "killed", error: why };
      }
    }
  }

  private async startContainer(retried = false): Promise<SandboxContainer> {
    const { engine, rlimits, folders } = await this.ensureEngine();
    const name = `bridge-${this.pid}-${++this.counter}-${Math.random().toString(36).slice(2, 8)}`;
    const usedRuntime = engine.ociRuntime;
    let seccompProfile: string | undefined;
    try {
      seccompProfile = seccompOption(this.config.seccomp, engine, engineWorkDir);
    } catch (err) {
      throw new BridgeError("SANDBOX_FAILED", `could not write bridge's seccomp profile: ${describeError(err)}`, {
        hint: "Make TMPDIR writable, or set MCP_BRIDGE_SECCOMP=engine to use the engine's own profile.",
      });
    }
    // A remote engine cannot mount this host's folders: their files are copied into a tmpfs instead.
    const copied = engine.remote && folders.read.length > 0;
    const mounted = !engine.remote && folders.read.length > 0;
    const masks = mounted ? this.specialFileMasks(folders) : undefined;
    const mounts = copied
      ? ["--tmpfs", `${DATA_ROOT}:rw,nosuid,nodev,size=${REMOTE_COPY_MAX_BYTES},mode=1777`]
      : [...mountArgs(folders), ...(masks?.mounts ?? [])];
    const argv = buildRunArgv(this.config, {
      engine: engine.name,
      binary: engine.binary,
      ociRuntime: usedRuntime,
      name,
      ownerPid: this.pid,
      rlimits,
      mounts,
      seccompProfile,
    });
    const data = copied ? this.dataCopy() : undefined;
    this.live.set(name, undefined);
    let refusal: BridgeError | undefined;
    try {
      const c = await SandboxContainer.start(name, argv, this.runtimeInit(folders, masks), this.spawn, undefined, data);
      if (mounted && c.syscallFilter !== true) {
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
          `sandbox: the in-container syscall filter is off (${this.config.noNewPrivileges ? "unsupported CPU architecture" : "MCP_BRIDGE_NO_NEW_PRIVILEGES=false"}): AF_VSOCK sockets, io_uring and keyrings are refused only ${seccompProfile ? "by bridge's seccomp profile" : "if the engine's own profile refuses them"}.`,
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

  /**
   * Bind-mounted folders only: the `init` asks the runtime to refuse unix sockets (a read-only mount
   * does not stop connect()) and tells its guard which special files are masked and why.
   */
  private runtimeInit(folders: Folders, masks?: Masks): RuntimeInit {
    const modules: Record<string, string> = {};
    for (const ext of this.deps.extensions) Object.assign(modules, ext.modules);
    const mounted = masks ? { denyUnixSockets: true, refused: masks.refused } : {};
    return {
      modules,
      preludes: this.deps.extensions.map((e) => e.prelude),
      warm: warmSpec(this.config.warmImports),
      folders: folders.read,
      ...mounted,
    };
  }

  /** FIFOs, sockets and devices in bind-mounted folders, hidden behind an empty read-only file (folder-walk.ts). */
  private specialFileMasks(folders: Folders): Masks {
    let empty: string;
    try {
      empty = emptyFileIn(engineWorkDir());
    } catch (err) {
      throw new BridgeError(
        "SANDBOX_FAILED",
        `could not write the empty file that hides FIFOs and sockets of allowed folders: ${describeError(err)}`,
        { hint: "Make TMPDIR writable." },
      );
    }
    return maskSpecialFiles(folders, empty);
  }

  /** The allowed folders' files for a remote engine's container (read afresh for every start and reset), else undefined. */
  private dataCopy(): (DataCopy & { bytes: number }) | undefined {
    const s = this.setup;
    return s?.engine.remote && s.folders.read.length ? copyFolders(s.folders) : undefined;
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

function capText(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  const c = new OutputCollector(max);
  c.push(new TextEncoder().encode(text));
  return c.result().text;
}
