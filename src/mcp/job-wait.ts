/**
 * The wait the job tools share (get_job, cancel_job, run_script, escalate_to_claude): waits for a
 * queued job while forwarding its progress as `notifications/progress`, cancels the job when the
 * client cancels the request, and notices a dead worker.
 */
import { offlineReason } from "../queue/liveness.ts";
import { type JobResult, type JobStatus, type QueueClient, type WorkerStatus } from "../queue/types.ts";

/** Default wait without a progressToken: below common 60 s client request timeouts. */
export const DEFAULT_WAIT_SECONDS = 25;
/** Default wait with a progressToken (progress notifications keep the request alive). */
export const DEFAULT_PROGRESS_WAIT_SECONDS = 600;
export const MAX_WAIT_SECONDS = 3600;
const KEEPALIVE_MS = 15_000;
/** Slice of a wait between liveness checks: a same-host worker death is noticed within ~0.5 s. */
const LIVENESS_CHECK_MS = 500;

/** The minimal slice of the SDK's RequestHandlerExtra the wait needs. */
export interface ToolExtra {
  signal: AbortSignal;
  _meta?: { progressToken?: string | number };
  sendNotification: (n: {
    method: "notifications/progress";
    params: { progressToken: string | number; progress: number; message?: string };
  }) => Promise<void>;
}

/** Default wait of escalate_to_claude without a progressToken (Claude rarely answers in 25 s; still below 60 s). */
export const ESCALATE_WAIT_SECONDS = 45;

/** Milliseconds to wait: the caller's choice (clamped), else the default for the presence of a progressToken. */
export function waitMsFor(
  waitSeconds: number | undefined,
  hasProgressToken: boolean,
  defaultSeconds = DEFAULT_WAIT_SECONDS,
): number {
  const s = waitSeconds ?? (hasProgressToken ? DEFAULT_PROGRESS_WAIT_SECONDS : defaultSeconds);
  return Math.round(Math.max(0, Math.min(MAX_WAIT_SECONDS, s)) * 1000);
}

/** Why no worker is alive (died how, stopped when, or never ran) and the command that starts one. Nothing about jobs. */
export function workerOfflineNote(w: WorkerStatus): string {
  return `${offlineReason(w)} Start one on the host: \`${w.startCommand}\` (or \`bridge worker --install-service\` to start it at login).`;
}

/**
 * What happened to this job when its worker is gone or none is running, or undefined while it can
 * still finish: a queued job waits for the next worker; a running job whose worker died will not
 * finish and is never re-run.
 *
 * "Died" needs proof a writer of the queue folder without the token cannot fake (the statuses are
 * built from signed records only, src/queue/liveness.ts, src/queue/store.ts): the worker's own
 * signed heartbeat, judged dead, and its claim of this job — the job listed in that heartbeat, or
 * the worker's signed checkpoint for it (killed before its next beat) — and no live worker's signed
 * heartbeat listing the job (a copy of the job file planted in a dead worker's directory, next to a
 * replayed genuine heartbeat). Without that proof (no signed heartbeat, a planted one, a copy) there
 * is no verdict: the wait goes on, and recovery or the deadline ends it.
 */
export function jobWorkerNote(s: JobStatus, w: WorkerStatus): string | undefined {
  if (s.state === "queued") {
    return w.alive
      ? undefined
      : `Job ${s.id} is queued and kept; it runs when a worker starts. ${workerOfflineNote(w)}`;
  }
  if (s.state !== "running" || !s.worker) return undefined;
  if (w.workers.some((b) => b.workerId === s.worker || b.running.includes(s.id))) return undefined;
  const dead = w.dead?.find((b) => b.workerId === s.worker && (b.running.includes(s.id) || s.claimed === true));
  if (!dead) return undefined;
  const what = `worker ${dead.workerId} (pid ${dead.pid} on ${dead.hostname}), which died: ${dead.why}`;
  const recorder = w.alive
    ? "a running worker records it as interrupted within seconds"
    : `the next worker to start records it as interrupted (start one: \`${w.startCommand}\`)`;
  const resume = s.kind === "claude" ? " Its Claude session_id (in the interrupted result) can be resumed." : "";
  return `Job ${s.id} was running on ${what}. It did not finish and will not be re-run: its watchdog stops what it started, and ${recorder}; get_job then shows it.${resume}`;
}

/**
 * True when a notifications/cancelled only means the client's own request timeout fired (the SDK
 * client sends reason "MCP error -32001: Request timed out"): the caller stopped waiting, it did
 * not ask to stop the work. The job keeps running and get_job can still fetch its result.
 */
export function isClientTimeout(reason: unknown): boolean {
  return /-32001|request timed out/i.test(String(reason ?? ""));
}

export interface WaitOutcome {
  status: JobStatus | undefined;
  /** Set when the wait ended early for a reason the caller should see. */
  note?: string;
}

/**
 * Waits up to waitMs for the job, forwarding progress (when the request has a progressToken) and
 * cancelling the job if the request is cancelled — but not when the cancel only reports the client's
 * own request timeout (see isClientTimeout). Returns the latest status.
 */
export async function waitForJob(
  queue: QueueClient,
  id: string,
  waitMs: number,
  extra: ToolExtra,
): Promise<WaitOutcome> {
  const token = extra._meta?.progressToken;
  let n = 0;
  let lastSent = Date.now();
  let lastSeq = 0;
  const send = (message: string) => {
    if (token === undefined) return;
    lastSent = Date.now();
    void extra
      .sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: ++n, message } })
      .catch(() => {});
  };
  const onAbort = () => {
    if (!isClientTimeout(extra.signal.reason)) void queue.cancel(id).catch(() => {});
  };
  extra.signal.addEventListener("abort", onAbort, { once: true });
  const deadline = Date.now() + waitMs;
  // Shared by every slice: each progress event is read, and sent, once.
  const progressCursor = { offset: 0 };
  // Why the job's worker is gone, while another live worker is expected to record it as interrupted.
  let workerNote: string | undefined;
  try {
    while (true) {
      const status = await queue.get(id);
      if (!status || status.result || extra.signal.aborted) return { status };
      const left = deadline - Date.now();
      if (left <= 0) return { status, note: workerNote ?? stillNote(status) };
      const workers = await queue.workerStatus();
      const note = jobWorkerNote(status, workers);
      // With no worker alive nothing will change: answer now. A live worker records the dead one's
      // job as interrupted within seconds: wait for that result rather than answer "running".
      if (note && !workers.alive) return { status, note };
      workerNote = note;
      const result: JobResult | undefined = await queue.wait(id, {
        timeoutMs: Math.min(left, LIVENESS_CHECK_MS),
        signal: extra.signal,
        progressCursor,
        onProgress: (e) => {
          if (typeof e.seq === "number" && e.seq <= lastSeq) return;
          if (typeof e.seq === "number") lastSeq = e.seq;
          send(e.message);
        },
      });
      // The status get_job would read now (src/queue/store.ts jobStatus), without reading it all again.
      if (result) return { status: { ...jobFields(status), state: result.state, worker: undefined, result } };
      if (token !== undefined && Date.now() - lastSent >= KEEPALIVE_MS) send(`job ${id} is still ${status.state}`);
    }
  } finally {
    extra.signal.removeEventListener("abort", onAbort);
  }
}

/** What a status says about the job itself (its signed job file), apart from where it is. */
function jobFields(s: JobStatus): Pick<JobStatus, "id" | "kind" | "createdAt" | "summary"> {
  return { id: s.id, kind: s.kind, createdAt: s.createdAt, summary: s.summary };
}

function stillNote(s: JobStatus): string {
  return `Job ${s.id} is still ${s.state}. Call get_job with job_id "${s.id}" (and wait_seconds) to wait for the result, or cancel_job to stop it.`;
}
