/**
 * The queue contract shared by `serve` (submits and waits), `bridge worker` (claims and runs) and
 * job handlers (script, claude). Pure types and constants: no I/O here.
 *
 * A job travels incoming → running/<worker> → results on disk under `<root>/queue`; the client API
 * (`openQueue` in src/queue/index.ts) and the handler signature below are what other areas use.
 */
import type { ConsolaInstance } from "consola";
import type { Config } from "../config/index.ts";

/** What a job asks for. Each kind has one handler in src/worker/handlers.ts. */
export type JobKind = "claude" | "script";
export const JOB_KINDS: readonly JobKind[] = ["claude", "script"];

/** Claude Code permission modes a job may ask for (the worker's ceiling may lower it). */
export type PermissionMode = "plan" | "default" | "acceptEdits" | "dontAsk" | "auto" | "bypassPermissions";

/** `escalate_to_claude` parameters, as the worker receives them. */
export interface ClaudeJobBody {
  request: string;
  cwd?: string;
  session_id?: string;
  model?: string;
  max_turns?: number;
  permission_mode?: PermissionMode;
}

/** `run_script` parameters: args are passed as argv verbatim, never through a shell. */
export interface ScriptJobBody {
  name: string;
  args: string[];
  stdin?: string;
}

export interface JobBodies {
  claude: ClaudeJobBody;
  script: ScriptJobBody;
}

/** A submitted job. `createdAt` is an ISO-8601 timestamp; `nonce` is 32 hex chars. */
export interface Job<K extends JobKind = JobKind> {
  id: string;
  kind: K;
  createdAt: string;
  nonce: string;
  body: JobBodies[K];
}

/** The job as stored in a queue file: the job plus `sig` = hex HMAC-SHA256 (see src/queue/auth.ts). */
export interface SignedJob<K extends JobKind = JobKind> extends Job<K> {
  v: 1;
  sig: string;
}

/** Life cycle: queued → running → one of the final states. */
export type JobState = "queued" | "running" | "done" | "failed" | "cancelled" | "interrupted" | "rejected";
export const JOB_STATES: readonly JobState[] = [
  "queued",
  "running",
  "done",
  "failed",
  "cancelled",
  "interrupted",
  "rejected",
];
export type FinalJobState = Exclude<JobState, "queued" | "running">;
export const FINAL_STATES: readonly FinalJobState[] = ["done", "failed", "cancelled", "interrupted", "rejected"];

/** An error reported in a result: a stable code (an ErrorCode from src/errors.ts), text for people. */
export interface JobError {
  code: string;
  message: string;
  hint?: string;
}

/** Written once by the worker (or by a canceller / recovering worker) to `results/<id>.json`. */
export interface JobResult {
  id: string;
  kind: JobKind;
  state: FinalJobState;
  /** Kind-specific JSON (script: exit code and output; claude: result text, session_id, cost …). */
  outcome: unknown;
  error?: JobError;
  /** ISO timestamps; startedAt is absent when the job never started (rejected, cancelled while queued). */
  startedAt?: string;
  finishedAt: string;
  /**
   * Set on the `interrupted` result a recovering worker writes for a job whose worker looked gone;
   * the worker that really ran the job may replace it with its own result.
   */
  recovered?: boolean;
}

/** A progress event a handler emits; the worker appends it (with seq and time) to the job's progress file. */
export interface ProgressEvent {
  message: string;
  data?: unknown;
}
export interface StoredProgressEvent extends ProgressEvent {
  seq: number;
  at: string;
}

/** What the client reports about one job. */
export interface JobStatus {
  id: string;
  kind: JobKind;
  state: JobState;
  createdAt: string;
  /** The pid/id of the worker running it (state running). */
  worker?: string;
  /** State running: that worker's signed checkpoint for this job is there — proof it claimed it (src/queue/checkpoint.ts). */
  claimed?: boolean;
  /** Present once the job is final. */
  result?: JobResult;
  /** A short summary of the request (script name, first words of a claude request). */
  summary: string;
}

/** What the worker publishes in its heartbeat file `<root>/queue/workers/<workerId>.json`. */
export interface Heartbeat {
  workerId: string;
  pid: number;
  hostname: string;
  version: string;
  startedAt: string;
  /** Last beat, ISO; a heartbeat older than HEARTBEAT_STALE_MS means the worker is gone. */
  at: string;
  concurrency: number;
  running: string[];
  /** True once the worker got SIGTERM and claims nothing new. */
  draining: boolean;
  /** `/proc/self/ns/pid` of the worker: a pid is only checked by a reader in the same namespace (signed with the rest). */
  pidNamespace?: string;
  /**
   * Whether claude jobs load project settings (`.claude/settings.json`, `.mcp.json`, …) from their
   * working directory: false (the default: user settings only), true for every directory, or the
   * directories where they do (`--trust-project-settings[-in]`). Shown by `doctor`.
   */
  trustProjectSettings?: boolean | string[];
}

/** Summary of the workers, for tools and `doctor`. */
export interface WorkerStatus {
  alive: boolean;
  /** Newest beat of any worker (ISO), if any heartbeat exists. */
  lastBeat?: string;
  /** Live workers. */
  workers: Heartbeat[];
  /** Workers whose heartbeat is still on disk but that are gone (pid dead on this host, or stale), with why. */
  dead?: Array<Heartbeat & { why: string }>;
  /** The last worker that stopped cleanly (it removes its heartbeat), from `<queue>/last-worker-stop.json`. */
  lastStop?: { workerId: string; pid: number; hostname: string; stoppedAt: string; reason: string };
  /** What to run when no worker is alive. */
  startCommand: string;
}

export const HEARTBEAT_INTERVAL_MS = 1000;
export const HEARTBEAT_STALE_MS = 10_000;

/** Options for `wait`: give up after timeoutMs (→ undefined), or when signal aborts. */
export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (event: StoredProgressEvent) => void;
  /**
   * Where the progress file was read up to; `wait` starts there and moves it on, so a caller
   * waiting in slices sees each event once.
   */
  progressCursor?: { offset: number };
}

/** The client API used by `serve` tools (run_script, get_job, escalate_to_claude, …). */
export interface QueueClient {
  /** Signs and enqueues a job. Throws AUTH_FAILED when no token is configured. */
  submit<K extends JobKind>(kind: K, body: JobBodies[K]): Promise<Job<K>>;
  /**
   * Submits unless an earlier call with this idempotency key (same kind, same queue, within the
   * job retention) did: then returns that job with reused=true. Throws USAGE when the earlier call
   * had other arguments. See src/queue/idempotency.ts.
   */
  submitOnce<K extends JobKind>(kind: K, body: JobBodies[K], key: string): Promise<{ id: string; reused: boolean }>;
  /** The job an earlier call with this key created, or undefined (no submit); throws USAGE on other arguments. */
  findKey(kind: JobKind, body: unknown, key: string): Promise<string | undefined>;
  /** The job's status, or undefined when no such job exists. */
  get(id: string): Promise<JobStatus | undefined>;
  /** Resolves with the result once final, or undefined after timeoutMs / on abort. */
  wait(id: string, opts: WaitOptions): Promise<JobResult | undefined>;
  /** Cancels a queued job at once, or asks the worker to stop a running one. Returns the status after. */
  cancel(id: string): Promise<JobStatus | undefined>;
  /** Jobs, newest first, optionally of one state. */
  list(state?: JobState, limit?: number): Promise<JobStatus[]>;
  workerStatus(): Promise<WorkerStatus>;
}

/** How the worker was started (flags of `bridge worker`), handed to every handler. */
export interface WorkerOptions {
  concurrency: number;
  /** Absolute, resolved directories claude jobs may run in (default: the home directory). */
  allowRoots: string[];
  /** The script whitelist directory (default `<root>/scripts`). */
  scriptsDir: string;
  /** The most permissive permission mode a claude job may use (default: "default", no bypass). */
  permissionMode: PermissionMode;
  /** Wall-clock limit per job unless the script manifest sets its own. */
  timeoutMs: number;
  /** SIGTERM: how long in-flight jobs may take to finish before they are stopped and marked interrupted. */
  graceMs: number;
  /** Drain the queue and exit. */
  once: boolean;
  /**
   * Directories (resolved) whose project settings claude jobs may load — `.claude/settings.json`
   * and `settings.local.json` (hooks, env, apiKeyHelper, permissions), `.mcp.json` servers,
   * project skills and commands — or "all" (`--trust-project-settings`). Default []: the CLI runs
   * with `--setting-sources user`, so a repository cannot run code above the permission ceiling.
   */
  trustProjectSettings?: "all" | string[];
}

/** What a handler receives besides the job. */
export interface HandlerContext {
  /**
   * Aborted on cancel_job and when the worker shuts down past its grace period; the handler should
   * stop its work and return promptly (the worker then records cancelled / interrupted itself).
   * The handler enforces its own wall-clock timeout (workerOptions.timeoutMs).
   */
  signal: AbortSignal;
  /** Emits a progress event (tool use, short text) that waiting callers receive. */
  progress(event: ProgressEvent): void;
  /**
   * Persists partial outcome (e.g. `{ session_id }`) right away: if the worker dies mid-job, the
   * `interrupted` result carries it so the caller can resume.
   */
  checkpoint(partialOutcome: Record<string, unknown>): void;
  log: ConsolaInstance;
  config: Config;
  workerOptions: WorkerOptions;
}

/** What a handler returns. ok=false must carry an error; the worker never turns it into success. */
export interface HandlerResult {
  ok: boolean;
  outcome: unknown;
  error?: JobError;
}

export type JobHandler<K extends JobKind = JobKind> = (job: Job<K>, ctx: HandlerContext) => Promise<HandlerResult>;
