/**
 * Attack (issue 8, high 1): a writer of the queue folder without the token plants a "dead worker"
 * — running/<worker>/<id>.json, a checkpoint with any outcome, a heartbeat of a dead pid — or an
 * archived job without a result, to make recovery sign a forged outcome, drop the real result, or
 * get a queued job refused as a replay. Recovery must act only on signed jobs that worker provably
 * claimed (signed checkpoint), and copy nothing unsigned into what it signs.
 * Real `dist/bridge worker` and `serve`; files planted straight into the queue folder.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startBridge, type RunningBridge } from "../support/bridge.ts";
import { deadPid, forgedHeartbeat, plantRunningDir } from "../support/queue-attack.ts";
import { queueRoot, until, type QueueRoot } from "../support/queue-worker.ts";

let q: QueueRoot;
let serve: RunningBridge | undefined;
beforeEach(async () => {
  q = await queueRoot();
  q.addScript("real", '#!/bin/sh\nsleep "${1:-0}"\necho REAL-OUTPUT\n');
});
afterEach(async () => {
  await serve?.close().catch(() => {});
  serve = undefined;
  await q.cleanup();
});

type View = { state: string; outcome?: { stdout?: string } | null; error?: { code: string; message: string } };
const PLANTED = { exit_code: 0, stdout: "PLANTED-OUTCOME", stderr: "" };
const checkpoint = JSON.stringify({ startedAt: "2026-01-01T00:00:00.000Z", outcome: PLANTED });
const getJob = async (id: string, wait = 30): Promise<View> =>
  (
    await serve!.client.callTool({ name: "get_job", arguments: { job_id: id, wait_seconds: wait } }, undefined, {
      timeout: 120_000,
    })
  ).structuredContent as View;
const jobFile = (id: string, where: string) => readFileSync(join(q.root, "queue", where, `${id}.json`), "utf8");

describe("recovery signs nothing unsigned", () => {
  test("planted running/ directories and archived files for queued jobs: every job still runs once, with its real result", async () => {
    const client = q.queue();
    const jobs = await Promise.all([0, 1, 2, 3].map(() => client.submit("script", { name: "real", args: [] })));
    const [a, b, c, d] = jobs.map((j) => j.id) as [string, string, string, string];
    const pid = deadPid();
    // a: an empty job file and a checkpoint with a chosen outcome, in a "dead worker's" directory.
    const w1 = `w-${pid}-0000dead`;
    plantRunningDir(q.root, w1, { [`${a}.json`]: "{}", [`${a}.checkpoint.json`]: checkpoint });
    forgedHeartbeat(q.root, w1, pid, new Date(Date.now() - 60_000));
    // b: a byte-for-byte copy of the real signed job, with a forged checkpoint.
    const w2 = `w-${pid + 1}-0000beef`;
    plantRunningDir(q.root, w2, { [`${b}.json`]: jobFile(b, "incoming"), [`${b}.checkpoint.json`]: checkpoint });
    forgedHeartbeat(q.root, w2, pid + 1, new Date(Date.now() - 60_000));
    // c, d: "archived without a result": an empty file, and a copy of the real signed job.
    writeFileSync(join(q.root, "queue", "jobs", `${c}.json`), "{}");
    writeFileSync(join(q.root, "queue", "jobs", `${d}.json`), jobFile(d, "incoming"));
    await Bun.sleep(11_000); // older than every "just created" grace period

    await q.startWorker().ready();
    serve = await startBridge({ env: q.env });
    for (const id of [a, b, c, d]) {
      const v = await getJob(id);
      expect({ id, state: v.state, stdout: v.outcome?.stdout }).toEqual({ id, state: "done", stdout: "REAL-OUTPUT\n" });
    }
    // The planted directories were dealt with (quarantined), and nothing changed the results afterwards.
    await until(
      () =>
        !existsSync(join(q.root, "queue", "running", w1)) && !existsSync(join(q.root, "queue", "running", w2))
          ? true
          : undefined,
      20_000,
      "planted directories handled",
    );
    for (const id of [a, b, c, d]) expect((await getJob(id, 0)).outcome?.stdout).toBe("REAL-OUTPUT\n");
  }, 90_000);

  test("a planted 'dead worker' holding a job that is running: the real result stands", async () => {
    await q.startWorker().ready();
    serve = await startBridge({ env: q.env });
    const started = await serve.client.callTool({
      name: "run_script",
      arguments: { name: "real", args: ["7"], wait_seconds: 0 },
    });
    const id = (started.structuredContent as { job_id: string }).job_id;
    await until(async () => ((await getJob(id, 0)).state === "running" ? true : undefined), 10_000, "job running");
    const pid = deadPid();
    const w1 = `w-${pid}-0000dead`;
    plantRunningDir(q.root, w1, { [`${id}.json`]: "{}", [`${id}.checkpoint.json`]: checkpoint });
    forgedHeartbeat(q.root, w1, pid, new Date(Date.now() - 60_000));
    // A signed copy of the running job (readable by anyone who can read the folder), forged checkpoint.
    const running = join(q.root, "queue", "running");
    const real = (await import("node:fs"))
      .readdirSync(running)
      .find((w) => existsSync(join(running, w, `${id}.json`)) && w !== w1)!;
    const w2 = `w-${pid + 1}-0000beef`;
    plantRunningDir(q.root, w2, {
      [`${id}.json`]: readFileSync(join(running, real, `${id}.json`), "utf8"),
      [`${id}.checkpoint.json`]: checkpoint,
    });
    forgedHeartbeat(q.root, w2, pid + 1, new Date(Date.now() - 60_000));
    const v = await getJob(id, 60);
    expect(v.state).toBe("done");
    expect(v.outcome?.stdout).toBe("REAL-OUTPUT\n");
    await until(
      () => (!existsSync(join(running, w1)) && !existsSync(join(running, w2)) ? true : undefined),
      20_000,
      "planted directories handled",
    );
    expect((await getJob(id, 0)).outcome?.stdout).toBe("REAL-OUTPUT\n");
  }, 90_000);
});
