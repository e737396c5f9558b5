/**
 * Tool lists for search, within a fixed time budget. A list known without starting anything (in
 * memory or on disk) is used at once; a missing one is fetched by a background job (a few servers at
 * a time) that keeps going when the search that started it has answered, so one hung or slow server
 * (a socket that never answers, a first `npx -y` download) costs each search at most one budget,
 * once. A server whose listing failed is not tried again by search until its backoff has passed
 * (30 s, doubling to 15 min); meanwhile, or while it is still starting, the last list saved for that
 * server name is used if there is one, and reported as possibly stale. Reasons name no secrets of
 * the entry (secrets.ts); only `ok` entries reach this module (the registry filters them).
 */
import { BridgeError, describeError } from "../errors.ts";
import { redactor } from "./secrets.ts";
import { serverConfigHash, type CachedTools } from "./tool-cache.ts";
import type { ToolDoc } from "./tool-docs.ts";
import type { ServerEntry } from "./types.ts";

export interface ListingDeps {
  /** How long one search waits for lists it has to fetch (ms). */
  budgetMs: number;
  /** Servers listed at once. */
  concurrency: number;
  /** The list known without starting anything (memory, then the exact disk cache). */
  known(entry: ServerEntry): ToolDoc[] | undefined;
  /** The last list saved for a server of this name, whatever its configuration. */
  latest(name: string): CachedTools | undefined;
  /** Lists a server's tools, starting it if needed. */
  list(entry: ServerEntry): Promise<ToolDoc[]>;
  now?: () => number;
}

/** What a search sees of every usable server. */
export interface Gathered {
  lists: Array<{ server: string; tools: ToolDoc[] }>;
  /** Servers not searched, and why. */
  unavailable: Array<{ server: string; error: string }>;
  /** Servers searched with an older list (their current configuration could not be listed yet). */
  stale: Array<{ server: string; saved_at: string; reason: string }>;
}

interface Job {
  queuedAt: number;
  startedAt?: number;
  promise: Promise<ToolDoc[]>;
  tools?: ToolDoc[];
}

interface Failure {
  count: number;
  error: string;
  retryAt: number;
}

const BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 15 * 60_000;
const MAX_ERROR_CHARS = 600;

export class ToolListings {
  private readonly jobs = new Map<string, Job>();
  private readonly failures = new Map<string, Failure>();
  private readonly waiting: Array<() => void> = [];
  private running = 0;

  constructor(private readonly deps: ListingDeps) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** Every entry's tools as far as the budget allows; never throws for one server's failure. */
  async gather(entries: ServerEntry[], signal?: AbortSignal): Promise<Gathered> {
    const start = this.now();
    const out: Gathered = { lists: [], unavailable: [], stale: [] };
    const fetching: Array<{ entry: ServerEntry; job: Job }> = [];
    for (const entry of entries) {
      const known = this.deps.known(entry);
      if (known) out.lists.push({ server: entry.name, tools: known });
      else if (!this.backingOff(entry)) fetching.push({ entry, job: this.job(entry) });
    }
    const stop = signal
      ? new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }))
      : undefined;
    // Each job gets one budget in total, whichever searches it spans: a later search does not wait for it again.
    await Promise.all(
      fetching.map(({ job }) => {
        const wait = Math.min(start, job.queuedAt) + this.deps.budgetMs - this.now();
        return wait > 0
          ? Promise.race([
              job.promise.then(
                () => {},
                () => {},
              ),
              Bun.sleep(wait),
              ...(stop ? [stop] : []),
            ])
          : undefined;
      }),
    );
    const fetched = new Map(fetching.map(({ entry, job }) => [entry.name, job.tools]));
    for (const entry of entries) {
      if (out.lists.some((l) => l.server === entry.name)) continue;
      const tools = fetched.get(entry.name) ?? this.deps.known(entry);
      if (tools) {
        out.lists.push({ server: entry.name, tools });
        continue;
      }
      const why = this.reason(entry);
      const old = this.deps.latest(entry.name);
      if (old) {
        out.lists.push({ server: entry.name, tools: old.tools });
        out.stale.push({ server: entry.name, saved_at: old.savedAt, reason: why });
      } else {
        out.unavailable.push({ server: entry.name, error: why });
      }
    }
    return out;
  }

  /** Records the outcome of any listing of a server (search or an explicit call): failures back off search. */
  noteOutcome(entry: ServerEntry, err?: unknown): void {
    const key = serverConfigHash(entry);
    if (err === undefined) return void this.failures.delete(key);
    const count = (this.failures.get(key)?.count ?? 0) + 1;
    const delay = Math.min(BACKOFF_MS * 2 ** (count - 1), MAX_BACKOFF_MS);
    // Connection errors are masked already; this keeps any other error's text from leaking the entry's secrets.
    const text = redactor(entry)(describeError(err));
    this.failures.set(key, {
      count,
      error: text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text,
      retryAt: this.now() + delay,
    });
  }

  private backingOff(entry: ServerEntry): boolean {
    const f = this.failures.get(serverConfigHash(entry));
    return Boolean(f && this.now() < f.retryAt);
  }

  private reason(entry: ServerEntry): string {
    const key = serverConfigHash(entry);
    const failure = this.failures.get(key);
    if (failure) {
      const wait = Math.max(0, Math.ceil((failure.retryAt - this.now()) / 1000));
      return `could not be listed: ${failure.error} (search tries it again in ${wait} s; calling it directly tries now)`;
    }
    const job = this.jobs.get(key);
    if (job?.startedAt !== undefined) {
      const secs = Math.round((this.now() - job.startedAt) / 1000);
      return `still starting after ${secs} s; its tools are being listed in the background: search again shortly`;
    }
    return `waiting to be listed (${this.running} other servers are being listed); listing continues in the background: search again shortly`;
  }

  private job(entry: ServerEntry): Job {
    const key = serverConfigHash(entry);
    const existing = this.jobs.get(key);
    if (existing) return existing;
    const job: Job = { queuedAt: this.now(), promise: undefined as never };
    job.promise = this.slot()
      .then(() => {
        job.startedAt = this.now();
        return this.deps.list(entry);
      })
      .then(
        (tools) => {
          job.tools = tools;
          this.noteOutcome(entry);
          return tools;
        },
        (err) => {
          this.noteOutcome(entry, err);
          throw err instanceof BridgeError ? err : new BridgeError("UPSTREAM_FAILED", describeError(err));
        },
      )
      .finally(() => {
        this.jobs.delete(key);
        this.release();
      });
    job.promise.catch(() => {});
    this.jobs.set(key, job);
    return job;
  }

  private slot(): Promise<void> {
    if (this.running < this.deps.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.running++;
        resolve();
      }),
    );
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }
}
