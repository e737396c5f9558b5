/**
 * Reading and writing job state on disk, shared by the client (serve) and the worker. A job moves
 * incoming/ → running/<worker>/ → jobs/ (+ results/<id>.json). Lookups check those places in that
 * order, so a job that moves while being looked up is still found.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { resultIsAuthentic, signResult } from "./auth.ts";
import { createFileAtomic, readJson, writeFileAtomic } from "./fsutil.ts";
import { JOB_ID_RE, kindOfId, timeOfId } from "./ids.ts";
import type { QueueLayout } from "./layout.ts";
import { HeartbeatSchema, JobResultSchema, SignedJobSchema } from "./schema.ts";
import { HEARTBEAT_STALE_MS, type Heartbeat, type JobResult, type JobState, type JobStatus, type WorkerStatus } from "./types.ts";

const MAX_JOB_FILE = 2 * 1024 * 1024;

/** A short description of a job body for listings. */
export function summarize(kind: string, body: unknown): string {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = kind === "script"
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
  const raw = safeRead(join(layout.results, `${id}.json`));
  if (secret !== undefined && !resultIsAuthentic(raw, secret)) return undefined;
  const parsed = JobResultSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const { sig: _sig, ...result } = parsed.data;
  return result as JobResult;
}

/**
 * Writes a result once; false when the job already has one (the first result stands). With
 * `secret` the result is signed, and an existing result that is not authentic is replaced.
 */
export function writeResult(layout: QueueLayout, result: JobResult, secret?: string): boolean {
  const dest = join(layout.results, `${result.id}.json`);
  const text = JSON.stringify(secret === undefined ? result : signResult(result, secret));
  if (createFileAtomic(layout.tmp, dest, text)) return true;
  if (secret === undefined || resultIsAuthentic(safeRead(dest), secret)) return false;
  writeFileAtomic(layout.tmp, dest, text);
  return true;
}

function safeRead(path: string): unknown {
  try {
    return readJson(path, MAX_JOB_FILE);
  } catch {
    return undefined;
  }
}

function statusFromFile(path: string, id: string, state: JobState, worker?: string): JobStatus | undefined {
  const raw = safeRead(path);
  if (raw === undefined && !existsSync(path)) return undefined;
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

function runningDirs(layout: QueueLayout): string[] {
  try {
    return readdirSync(layout.running);
  } catch {
    return [];
  }
}

/** Where a job is and what state it is in; undefined when unknown. */
export function jobStatus(layout: QueueLayout, id: string, secret?: string): JobStatus | undefined {
  if (!JOB_ID_RE.test(id)) return undefined;
  const file = `${id}.json`;
  const queued = statusFromFile(join(layout.incoming, file), id, "queued");
  if (queued) return queued;
  for (const w of runningDirs(layout)) {
    const running = statusFromFile(join(layout.running, w, file), id, "running", w);
    if (running) return running;
  }
  const archived = statusFromFile(join(layout.jobs, file), id, "running");
  const result = readResult(layout, id, secret);
  if (result) {
    const base = archived ?? { id, kind: result.kind, createdAt: new Date(timeOfId(id) ?? 0).toISOString(), summary: "" };
    return { ...base, state: result.state, worker: undefined, result };
  }
  return archived;
}

/** Jobs, newest first (by id time), optionally filtered by state. */
export function listJobs(layout: QueueLayout, state?: JobState, limit = 50, secret?: string): JobStatus[] {
  const ids = new Set<string>();
  const collect = (dir: string) => {
    try {
      for (const f of readdirSync(dir)) if (f.endsWith(".json") && JOB_ID_RE.test(f.slice(0, -5))) ids.add(f.slice(0, -5));
    } catch { /* missing dir: nothing there */ }
  };
  if (!state || state === "queued") collect(layout.incoming);
  if (!state || state === "running") for (const w of runningDirs(layout)) collect(join(layout.running, w));
  if (!state || (state !== "queued" && state !== "running")) collect(layout.results);
  if (!state || state === "running") collect(layout.jobs);
  const sorted = [...ids].sort((a, b) => b.slice(2).localeCompare(a.slice(2)));
  const out: JobStatus[] = [];
  for (const id of sorted) {
    const s = jobStatus(layout, id, secret);
    if (s && (!state || s.state === state)) out.push(s);
    if (out.length >= limit) break;
  }
  return out;
}

/** All heartbeats on disk (parsed), stale or not. */
export function readHeartbeats(layout: QueueLayout): Heartbeat[] {
  const out: Heartbeat[] = [];
  let names: string[] = [];
  try { names = readdirSync(layout.workers); } catch { return out; }
  for (const f of names) {
    if (!f.endsWith(".json")) continue;
    const parsed = HeartbeatSchema.safeParse(safeRead(join(layout.workers, f)));
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

/** Whether any worker is alive (fresh heartbeat, not draining). */
export function workerStatus(layout: QueueLayout, nowMs = Date.now()): WorkerStatus {
  const beats = readHeartbeats(layout);
  const live = beats.filter((b) => nowMs - Date.parse(b.at) < HEARTBEAT_STALE_MS);
  const newest = beats.map((b) => b.at).sort().at(-1);
  return {
    alive: live.some((b) => !b.draining),
    lastBeat: newest,
    workers: live,
    startCommand: "bridge worker",
  };
}
