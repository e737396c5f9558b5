/**
 * The queue client `serve` tools use: sign and submit jobs, look them up, wait for results while
 * tailing progress, cancel, list, and report worker liveness. All state is on disk, so a restarted
 * `serve` picks up exactly where the last one was.
 */
import { closeSync, openSync, readSync, fstatSync, renameSync, watch, type FSWatcher, constants } from "node:fs";
import { join } from "node:path";
import { homedir } from "node:os";
import type { Config } from "../config/index.ts";
import { BridgeError } from "../errors.ts";
import { recordIsAuthentic, signJob } from "./auth.ts";
import { writeFileAtomic, fsyncDir } from "./fsutil.ts";
import { checkKey, dropKey, matchKey, readKey, recordKey } from "./idempotency.ts";
import { JOB_ID_RE, newJobId, newNonce } from "./ids.ts";
import { journalWriter } from "./journal.ts";
import { ensureLayout, JOURNAL_FILE, type QueueLayout } from "./layout.ts";
import { requestCancel } from "./cancel.ts";
import { defaultProbe, workerLiveness, type LivenessProbe } from "./liveness.ts";
import { jobStatus, listJobs, readResult, writeResult } from "./store.ts";
import { readSecret } from "./token.ts";
import type {
  Job,
  JobBodies,
  JobKind,
  JobResult,
  JobStatus,
  QueueClient,
  StoredProgressEvent,
  WaitOptions,
  WorkerStatus,
} from "./types.ts";

const POLL_MS = 200;
/** Largest job file; the worker refuses bigger ones (src/worker/intake.ts reads at most 2 MiB). */
const MAX_JOB_BYTES = 2 * 1024 * 1024 - 4096;

class KeyTaken extends Error {}

/** The command that starts a worker for this root. */
export function startCommandFor(root: string): string {
  return root === join(homedir(), ".bridge") ? "bridge worker" : `BRIDGE_ROOT=${root} bridge worker`;
}

/**
 * Reads progress lines appended since `offset`; returns the events and the new offset. The open
 * never blocks (a FIFO named like the file) and only a regular file is read; lines whose signature
 * does not hold (written by someone without the token) are skipped.
 */
export function readProgress(
  layout: QueueLayout,
  id: string,
  offset: number,
  secret: string,
): { events: StoredProgressEvent[]; offset: number } {
  let fd: number;
  try {
    fd = openSync(
      layout.d.progress.at(`${id}.jsonl`),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    );
  } catch {
    return { events: [], offset };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { events: [], offset };
    const size = st.size;
    if (size <= offset) return { events: [], offset };
    const buf = Buffer.alloc(Math.min(size - offset, 1024 * 1024));
    const n = readSync(fd, buf, 0, buf.length, offset);
    const text = buf.subarray(0, n).toString("utf8");
    const end = text.lastIndexOf("\n");
    if (end < 0) return { events: [], offset };
    const events: StoredProgressEvent[] = [];
    for (const line of text.slice(0, end).split("\n")) {
      try {
        const e = JSON.parse(line);
        if (e && typeof e.message === "string" && e.job === id && recordIsAuthentic("progress", e, secret)) {
          const { sig: _sig, job: _job, ...event } = e;
          events.push(event);
        }
      } catch {
        /* a torn line is skipped */
      }
    }
    return { events, offset: offset + Buffer.byteLength(text.slice(0, end + 1)) };
  } finally {
    closeSync(fd);
  }
}

/** Opens the queue under config.root (creating its directories). The token is read at submit time. */
export function openQueue(config: Config, deps: { now?: () => number; probe?: LivenessProbe } = {}): QueueClient {
  const now = deps.now ?? Date.now;
  const probe = deps.probe ?? defaultProbe();
  let layout: QueueLayout;
  try {
    layout = ensureLayout(config);
  } catch (err) {
    if (err instanceof BridgeError) throw err;
    throw new BridgeError(
      "QUEUE_FAILED",
      `Cannot prepare the job queue under ${config.root}: ${(err as Error).message}`,
      {
        hint: "Set BRIDGE_ROOT to a directory this user can write (the same one `bridge worker` uses).",
        cause: err,
      },
    );
  }
  const journal = journalWriter(layout.d.queue, JOURNAL_FILE, "serve");
  layout.setTamperHandler((path, why) => {
    process.stderr.write(`bridge: the queue directory ${path} was replaced (${why}); refusing to use it\n`);
    journal({ event: "queue-tampered", dir: path, why });
  });

  const submit = async <K extends JobKind>(
    kind: K,
    body: JobBodies[K],
    before?: (job: Job<K>, secret: string) => void,
  ): Promise<Job<K>> => {
    const secret = readSecret(config);
    const at = now();
    const job: Job<K> = {
      id: newJobId(kind, at),
      kind,
      createdAt: new Date(at).toISOString(),
      nonce: newNonce(),
      body,
    };
    before?.(job, secret);
    const text = JSON.stringify(signJob(job, secret));
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_JOB_BYTES) {
      throw new BridgeError("QUEUE_FAILED", `The job is ${bytes} bytes; the queue takes at most ${MAX_JOB_BYTES}.`, {
        hint: "Pass large inputs through a file the script or Claude can read instead.",
      });
    }
    try {
      writeFileAtomic(layout.d.tmp, layout.d.incoming, `${job.id}.json`, text);
    } catch (err) {
      throw new BridgeError(
        "QUEUE_FAILED",
        `Could not write the job into ${layout.incoming}: ${(err as Error).message}`,
        { hint: `Check that ${layout.dir} is writable by this user.`, cause: err },
      );
    }
    journal({ event: "submitted", id: job.id, kind });
    return job;
  };

  const wait = async (id: string, opts: WaitOptions): Promise<JobResult | undefined> => {
    const secret = readSecret(config);
    if (!opts.onProgress) {
      const ready = readResult(layout, id, secret);
      if (ready) return ready; // fast path: no watchers for a finished job
    }
    const deadline = now() + opts.timeoutMs;
    let offset = opts.progressCursor?.offset ?? 0;
    let wake: (() => void) | undefined;
    const watchers: FSWatcher[] = [];
    for (const dir of [layout.results, layout.progress]) {
      try {
        const w = watch(dir, (_e, name) => {
          if (name && String(name).startsWith(id)) wake?.();
        });
        w.on("error", () => {});
        watchers.push(w);
      } catch {
        /* polling covers it */
      }
    }
    const onAbort = () => wake?.();
    opts.signal?.addEventListener("abort", onAbort);
    try {
      while (true) {
        if (opts.onProgress) {
          const r = readProgress(layout, id, offset, secret);
          offset = r.offset;
          if (opts.progressCursor) opts.progressCursor.offset = offset;
          for (const e of r.events) opts.onProgress(e);
        }
        const result = readResult(layout, id, secret);
        if (result) return result;
        const left = deadline - now();
        if (left <= 0 || opts.signal?.aborted) return undefined;
        await new Promise<void>((res) => {
          const t = setTimeout(res, Math.min(POLL_MS, left));
          wake = () => {
            clearTimeout(t);
            res();
          };
        });
        wake = undefined;
      }
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
      for (const w of watchers) w.close();
    }
  };

  const cancel = async (id: string): Promise<JobStatus | undefined> => {
    if (!JOB_ID_RE.test(id)) return undefined;
    const secret = readSecret(config);
    const before = jobStatus(layout, id, secret);
    if (!before || before.result) return before;
    // A queued job: take it out of the queue ourselves. The rename fails if a worker claimed it first.
    try {
      renameSync(layout.d.incoming.at(`${id}.json`), layout.d.jobs.at(`${id}.json`));
      fsyncDir(layout.d.incoming);
      writeResult(
        layout,
        {
          id,
          kind: before.kind,
          state: "cancelled",
          outcome: null,
          error: { code: "CANCELLED", message: "Cancelled before it started." },
          finishedAt: new Date(now()).toISOString(),
        },
        secret,
      );
      journal({ event: "cancelled", id, while: "queued" });
      return jobStatus(layout, id, secret);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    requestCancel(layout, id, secret);
    journal({ event: "cancel-requested", id });
    return jobStatus(layout, id, secret);
  };

  /** The job an earlier call with this key created (same arguments), or undefined; throws on other arguments. */
  const findKey = async (kind: JobKind, body: unknown, key: string): Promise<string | undefined> => {
    checkKey(key);
    const secret = readSecret(config);
    const record = readKey(layout, secret, kind, key, now(), config.jobRetention);
    return record ? matchKey(record, key, body) : undefined;
  };

  const submitOnce = async <K extends JobKind>(
    kind: K,
    body: JobBodies[K],
    key: string,
  ): Promise<{ id: string; reused: boolean }> => {
    checkKey(key);
    let claimed = false;
    try {
      const job = await submit(kind, body, (j, secret) => {
        claimed = recordKey(layout, secret, kind, key, body, j.id, now(), config.jobRetention);
        if (!claimed) throw new KeyTaken();
      });
      return { id: job.id, reused: false };
    } catch (err) {
      if (err instanceof KeyTaken) {
        const id = await findKey(kind, body, key);
        if (id) return { id, reused: true };
        throw new BridgeError(
          "QUEUE_FAILED",
          `idempotency_key "${key.slice(0, 80)}" is being recorded by another call that did not finish.`,
          { hint: "Retry in a moment." },
        );
      }
      if (claimed) dropKey(layout, readSecret(config), kind, key);
      throw err;
    }
  };

  return {
    submit: (kind, body) => submit(kind, body),
    submitOnce,
    findKey,
    wait,
    cancel,
    get: async (id) => jobStatus(layout, id, readSecret(config)),
    list: async (state, limit) => listJobs(layout, state, limit, readSecret(config)),
    // Only signed heartbeats and a signed stop record count: a writer without the token can fake neither a live worker nor a dead one.
    workerStatus: async (): Promise<WorkerStatus> => ({
      ...workerLiveness(layout, now(), readSecret(config), probe),
      startCommand: startCommandFor(config.root),
    }),
  };
}
