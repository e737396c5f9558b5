/**
 * Reading and writing job state on disk, shared by the client (serve) and the worker. A job moves
 * incoming/ → running/<worker>/ → jobs/ (+ results/<id>.json). Lookups check those places in that
 * order, so a job that moves while being looked up is still found. Every file is read through the
 * guarded directories of the layout (no symlinks, no special files, size-capped).
 */
import { recordIsAuthentic, resultIsAuthentic, signRecord, signResult } from "./auth.ts";
import { createFileAtomic, entryExists, readJsonQuietly, writeFileAtomic } from "./fsutil.ts";
import { JOB_ID_RE, NAME_SHAPES, kindOfId, timeOfId } from "./ids.ts";
import type { QueueLayout } from "./layout.ts";
import { HeartbeatSchema, JobResultSchema, SignedJobSchema } from "./schema.ts";
import type { Heartbeat, JobResult, JobState, JobStatus } from "./types.ts";
import type { QueueDir } from "./dirs.ts";
import { readCheckpoint } from "./checkpoint.ts";

const MAX_JOB_FILE = 2 * 1024 * 1024;
/** Results carry a capped outcome; a bigger file is not bridge's. */
const MAX_RESULT_FILE = 4 * 1024 * 1024;

/** A short description of a job body for listings. */
export function summarize(kind: string, body: unknown): string {
  const b = (body ?? {}) as Record<string, unknown>;
  const text =
    kind === "script"
      ? [b.name, ...(Array.isArray(b.args) ? b.args : [])].map(String).join(" ")
      : String(b.request ?? "");
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > 80 ? `${oneLine.slice(0, 79)}…` : oneLine;
}

/**
 * The job's result, if final. A malformed result file reads as missing; with `secret`, so does
 * one whose signature does not hold (written by someone without the token).
 */
export function readResult(layout: QueueLayout, id: string, secret?: string): JobResult | undefined {
  if (!JOB_ID_RE.test(id)) return undefined;
  const raw = readJsonQuietly(layout.d.results, `${id}.json`, MAX_RESULT_FILE);
  if (secret !== undefined && !resultIsAuthentic(raw, secret)) return undefined;
  const parsed = JobResultSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const { sig: _sig, ...result } = parsed.data;
  return result as JobResult;
}

/**
 * Writes a result once; false when the job already has one (the first result stands). With
 * `secret` the result is signed, and an existing result that is not authentic is replaced — as is
 * a provisional one recovery wrote (`recovered: true`) when `supersedeRecovered` is set: the worker
 * that really ran the job has the last word over one that only thought it was gone.
 */
export function writeResult(
  layout: QueueLayout,
  result: JobResult,
  secret?: string,
  opts: { supersedeRecovered?: boolean } = {},
): boolean {
  const name = `${result.id}.json`;
  const text = JSON.stringify(secret === undefined ? result : signResult(result, secret));
  if (createFileAtomic(layout.d.tmp, layout.d.results, name, text)) return true;
  if (secret === undefined) return false;
  const existing = readJsonQuietly(layout.d.results, name, MAX_RESULT_FILE);
  if (
    resultIsAuthentic(existing, secret) &&
    !(opts.supersedeRecovered && (existing as { recovered?: unknown }).recovered === true)
  )
    return false;
  writeFileAtomic(layout.d.tmp, layout.d.results, name, text);
  return true;
}

function statusFromFile(dir: QueueDir, id: string, state: JobState, worker?: string): JobStatus | undefined {
  let raw: unknown;
  try {
    raw = readJsonQuietly(dir, `${id}.json`, MAX_JOB_FILE);
    if (raw === undefined && !entryExists(dir, `${id}.json`)) return undefined;
  } catch {
    return undefined; // the directory itself was refused
  }
  const parsed = SignedJobSchema.safeParse(raw);
  const kind = kindOfId(id)!;
  return {
    id,
    kind,
    state,
    createdAt: parsed.success ? parsed.data.createdAt : new Date(timeOfId(id) ?? 0).toISOString(),
    worker,
    summary: parsed.success ? summarize(kind, parsed.data.body) : "(unreadable job file)",
  };
}

/** The running/<worker> directories (by name); [] when running/ cannot be read. */
function runningDirs(layout: QueueLayout): string[] {
  try {
    return layout.d.running.list();
  } catch {
    return [];
  }
}

function runningDir(layout: QueueLayout, worker: string): QueueDir | undefined {
  try {
    return layout.d.running.child(worker);
  } catch {
    return undefined;
  }
}

/** Where a job is and what state it is in; undefined when unknown. */
export function jobStatus(layout: QueueLayout, id: string, secret?: string): JobStatus | undefined {
  if (!JOB_ID_RE.test(id)) return undefined;
  const queued = statusFromFile(layout.d.incoming, id, "queued");
  if (queued) return queued;
  for (const w of runningDirs(layout)) {
    const dir = runningDir(layout, w);
    if (!dir) continue;
    try {
      const running = statusFromFile(dir, id, "running", w);
      // With the token: whether that worker's signed checkpoint proves it claimed the job (not a planted copy).
      if (running)
        return secret !== undefined && readCheckpoint(dir, id, w, secret) ? { ...running, claimed: true } : running;
    } finally {
      dir.close();
    }
  }
  const archived = statusFromFile(layout.d.jobs, id, "running");
  const result = readResult(layout, id, secret);
  if (result) {
    const base = archived ?? {
      id,
      kind: result.kind,
      createdAt: new Date(timeOfId(id) ?? 0).toISOString(),
      summary: "",
    };
    return { ...base, state: result.state, worker: undefined, result };
  }
  return archived;
}

/** Jobs, newest first (by id time), optionally filtered by state. */
export function listJobs(layout: QueueLayout, state?: JobState, limit = 50, secret?: string): JobStatus[] {
  const ids = new Set<string>();
  const collect = (dir: QueueDir | undefined) => {
    if (!dir) return;
    try {
      for (const f of dir.list()) if (NAME_SHAPES.job.test(f)) ids.add(f.slice(0, -5));
    } catch {
      /* missing or refused directory: nothing there */
    }
  };
  if (!state || state === "queued") collect(layout.d.incoming);
  if (!state || state === "running") {
    for (const w of runningDirs(layout)) {
      const dir = runningDir(layout, w);
      collect(dir);
      dir?.close();
    }
  }
  if (!state || (state !== "queued" && state !== "running")) collect(layout.d.results);
  if (!state || state === "running") collect(layout.d.jobs);
  const sorted = [...ids].sort((a, b) => b.slice(2).localeCompare(a.slice(2)));
  const out: JobStatus[] = [];
  for (const id of sorted) {
    const s = jobStatus(layout, id, secret);
    if (s && (!state || s.state === state)) out.push(s);
    if (out.length >= limit) break;
  }
  return out;
}

/** Signs a heartbeat (only a worker holding the token can say it is alive). */
export function signHeartbeat(beat: Heartbeat, secret: string): Heartbeat & { sig: string } {
  return signRecord("heartbeat", beat, secret);
}

/**
 * The heartbeat in workers/<name>, parsed; with `secret`, only when its signature holds and it
 * names the worker its file is named after.
 */
export function readHeartbeat(layout: QueueLayout, name: string, secret?: string): Heartbeat | undefined {
  if (!NAME_SHAPES.heartbeat.test(name)) return undefined;
  const raw = readJsonQuietly(layout.d.workers, name, 64 * 1024);
  if (secret !== undefined && !recordIsAuthentic("heartbeat", raw, secret)) return undefined;
  const parsed = HeartbeatSchema.safeParse(raw);
  if (!parsed.success || `${parsed.data.workerId}.json` !== name) return undefined;
  const { sig: _sig, ...beat } = parsed.data;
  return beat;
}

/** All heartbeats on disk (parsed; with `secret`, authentic ones only), stale or not. */
export function readHeartbeats(layout: QueueLayout, secret?: string): Heartbeat[] {
  let names: string[];
  try {
    names = layout.d.workers.list();
  } catch {
    return [];
  }
  return names.map((f) => readHeartbeat(layout, f, secret)).filter((b): b is Heartbeat => b !== undefined);
}
