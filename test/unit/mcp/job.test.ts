import { describe, expect, test } from "bun:test";
import { waitForJob, workerOfflineNote } from "../../../src/mcp/job-wait.ts";
import { z } from "zod";
import { jobFailed, jobShape, jobText, jobView } from "../../../src/mcp/results/job.ts";
import type { JobStatus, QueueClient } from "../../../src/queue/types.ts";

const base: JobStatus = {
  id: "s-0mwsl6vxv-dfb50ee2f4e90fce",
  kind: "script",
  state: "running",
  createdAt: "2026-11-23T00:00:00.000Z",
  summary: "x --help",
  worker: "w-1",
};

describe("job view", () => {
  test("compact: the shared shape's keys only, no null or false fields; failures are flagged; text shows exit code, output and hint", () => {
    const s: JobStatus = {
      ...base,
      state: "failed",
      result: {
        id: base.id,
        kind: "script",
        state: "failed",
        outcome: {
          name: "x",
          exit_code: 3,
          stdout: "o",
          stderr: "e",
          signal: null,
          timed_out: false,
          truncated: false,
          duration_ms: 5,
        },
        error: { code: "SCRIPT_FAILED", message: "exited 3", hint: "look" },
        startedAt: "a",
        finishedAt: "b",
      },
    };
    const v = jobView(s);
    expect(v).toEqual({
      job_id: base.id,
      state: "failed",
      outcome: { exit_code: 3, stdout: "o", stderr: "e" },
      error: { code: "SCRIPT_FAILED", message: "exited 3", hint: "look" },
    });
    expect(z.object(jobShape).strict().parse(v)).toEqual(v);
    expect(jobFailed(v)).toBe(true);
    const text = jobText(v, s, 100_000);
    for (const part of [
      "failed",
      "Error SCRIPT_FAILED: exited 3",
      "→ look",
      "exit code: 3",
      "stdout:\no",
      "stderr:\ne",
    ])
      expect(text).toContain(part);
    expect(jobFailed(jobView({ ...base, state: "cancelled" }))).toBe(false);
    expect(jobFailed(jobView({ ...base, state: "done" }))).toBe(false);
  });
  test("offline note names the command and the last heartbeat", () => {
    expect(workerOfflineNote({ alive: false, workers: [], startCommand: "bridge worker" })).toContain(
      "`bridge worker`",
    );
    expect(workerOfflineNote({ alive: false, workers: [], startCommand: "x" })).toContain(
      "No bridge worker is running, and none has run for this queue yet",
    );
    expect(workerOfflineNote({ alive: false, workers: [], lastBeat: "T", startCommand: "x" })).toContain(
      "last heartbeat T",
    );
    const stop = { workerId: "w-9-a", pid: 9, hostname: "h", stoppedAt: "T2", reason: "SIGTERM" };
    expect(workerOfflineNote({ alive: false, workers: [], lastStop: stop, startCommand: "x" })).toContain(
      "worker w-9-a (pid 9 on h) stopped cleanly at T2 (SIGTERM)",
    );
  });
});

const hb = {
  workerId: "w-1",
  pid: 1,
  hostname: "h",
  version: "v",
  startedAt: "s",
  at: "t",
  concurrency: 1,
  running: [],
  draining: false,
};

describe("waitForJob", () => {
  function fakeQueue(over: Partial<QueueClient>): QueueClient & { cancelled: string[] } {
    const cancelled: string[] = [];
    return {
      cancelled,
      submit: async () => {
        throw new Error("unused");
      },
      submitOnce: async () => {
        throw new Error("unused");
      },
      findKey: async () => undefined,
      get: async () => base,
      wait: async (_id, o) => {
        o.onProgress?.({ seq: 1, at: "t", message: "hello" });
        await new Promise((r) => setTimeout(r, Math.min(o.timeoutMs, 20)));
        return undefined;
      },
      cancel: async (id) => {
        cancelled.push(id);
        return base;
      },
      list: async () => [],
      workerStatus: async () => ({ alive: true, workers: [hb], startCommand: "bridge worker" }),
      ...over,
    };
  }
  const extra = (signal = new AbortController().signal, token?: string) => {
    const sent: Array<{ progress: number; message?: string }> = [];
    return {
      sent,
      extra: {
        signal,
        _meta: token ? { progressToken: token } : undefined,
        sendNotification: async (n: { params: { progress: number; message?: string } }) => void sent.push(n.params),
      },
    };
  };
  test("forwards progress only with a progressToken and ends with a note at the deadline", async () => {
    const q = fakeQueue({});
    const withToken = extra(undefined, "tok");
    const r = await waitForJob(q, base.id, 60, withToken.extra);
    expect(r.note).toContain("still running");
    expect(withToken.sent.length).toBeGreaterThan(0);
    expect(withToken.sent[0]).toMatchObject({ progress: 1, message: "hello" });
    const without = extra();
    await waitForJob(q, base.id, 30, without.extra);
    expect(without.sent).toEqual([]);
  });
  test("a dead worker ends the wait at once; an aborted request cancels the job", async () => {
    const offline = fakeQueue({
      workerStatus: async () => ({
        alive: false,
        workers: [],
        dead: [{ ...hb, running: [base.id], why: "its process (pid 1) is gone" }],
        startCommand: "bridge worker",
      }),
    });
    const t0 = Date.now();
    expect((await waitForJob(offline, base.id, 10_000, extra().extra)).note).toContain(
      "which died: its process (pid 1) is gone",
    );
    expect(Date.now() - t0).toBeLessThan(1000);
    const q = fakeQueue({});
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    await waitForJob(q, base.id, 10_000, extra(ac.signal).extra);
    expect(q.cancelled).toEqual([base.id]);
  });
  test("a dead worker's job is waited for while another worker is alive (it records the interruption); the note if it never does", async () => {
    const other = { ...hb, workerId: "w-2", pid: 2, running: [] };
    const deadOne = { ...hb, running: [base.id], why: "its process (pid 1) is gone" };
    let polls = 0;
    const interrupted = { id: base.id, kind: "script" as const, state: "interrupted" as const, finishedAt: "t" };
    const recovering = fakeQueue({
      workerStatus: async () => ({ alive: true, workers: [other], dead: [deadOne], startCommand: "bridge worker" }),
      wait: async (_id, o) => {
        await new Promise((r) => setTimeout(r, Math.min(o.timeoutMs, 20)));
        return ++polls >= 3 ? (interrupted as never) : undefined;
      },
    });
    const got = await waitForJob(recovering, base.id, 10_000, extra().extra);
    expect(got.status?.state).toBe("interrupted");
    expect(got.note).toBeUndefined();
    const never = fakeQueue({
      workerStatus: async () => ({ alive: true, workers: [other], dead: [deadOne], startCommand: "bridge worker" }),
    });
    expect((await waitForJob(never, base.id, 100, extra().extra)).note).toContain(
      "a running worker records it as interrupted",
    );
  });
  test("each progress event is sent once, in order, across wait slices; keep-alives only when nothing new", async () => {
    // A progress file that grows over time, read through the cursor the wait passes in.
    const file = [1, 2, 3].map((seq) => ({ seq, at: "t", message: `event ${seq}` }));
    const t0 = Date.now();
    const q = fakeQueue({
      wait: async (_id, o) => {
        const available = Math.min(file.length, 1 + Math.floor((Date.now() - t0) / 300));
        const from = o.progressCursor?.offset ?? 0;
        for (const e of file.slice(from, available)) o.onProgress?.(e);
        if (o.progressCursor) o.progressCursor.offset = available;
        // A second copy of an old event (a rewritten file) must not be re-sent either.
        if (from > 0) o.onProgress?.(file[0]!);
        await new Promise((r) => setTimeout(r, Math.min(o.timeoutMs, 100)));
        return undefined;
      },
    });
    const { sent, extra: ex } = extra(undefined, "tok");
    await waitForJob(q, base.id, 1500, ex);
    expect(sent.map((p) => p.message)).toEqual(["event 1", "event 2", "event 3"]);
    expect(sent.map((p) => p.progress)).toEqual([1, 2, 3]);
  });
});
