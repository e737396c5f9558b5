/**
 * Attack (issue 8, medium 5): special files named like files bridge reads or appends to. A FIFO
 * named like a job file in incoming/ froze the worker (no heartbeat, script timeouts stopped
 * firing); named like a file `serve` reads (catalog, heartbeat, result, progress, cancel, journal)
 * it froze `serve`; as the config file, every command. Each open must be non-blocking with a
 * regular-file check. Real `dist/bridge worker` and `serve`; FIFOs made with mkfifo.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { newJobId } from "../../src/queue/ids.ts";
import { requireBinary, startBridge, tempDir, type RunningBridge } from "../support/bridge.ts";
import { queueRoot, until, type QueueRoot } from "../support/queue-worker.ts";

let q: QueueRoot;
let serve: RunningBridge | undefined;
beforeEach(async () => {
  q = await queueRoot();
});
afterEach(async () => {
  await serve?.close().catch(() => {});
  serve = undefined;
  await q.cleanup();
});

/** Replaces `path` with a FIFO (a worker may recreate a file in between: retry). */
const fifo = (path: string) => {
  for (let i = 0; i < 20; i++) {
    rmSync(path, { force: true });
    if (Bun.spawnSync(["mkfifo", path]).exitCode === 0) return;
  }
  throw new Error(`mkfifo ${path} kept failing`);
};
const queueDir = (...p: string[]) => join(q.root, "queue", ...p);
/** The `at` of the worker's heartbeat. */
const beatAt = (pid: number) => {
  const f = Bun.spawnSync(["sh", "-c", `cat ${queueDir("workers")}/w-${pid}-*.json`]).stdout.toString();
  return f ? (JSON.parse(f) as { at: string }).at : "";
};
/** Calls a tool with a bound: a frozen serve fails the test instead of hanging it. */
const call = (name: string, args: Record<string, unknown>, timeout = 20_000) =>
  serve!.client.callTool({ name, arguments: args }, undefined, { timeout });

describe("a FIFO named like a queue file freezes nothing", () => {
  test("worker: a FIFO named like a job in incoming/ — heartbeats go on and a 2 s script timeout still fires", async () => {
    q.addScript("slow", "#!/bin/sh\nsleep 30\n", { timeout: "2s" });
    const w = q.startWorker();
    await w.ready();
    fifo(queueDir("incoming", `${newJobId("script")}.json`));
    await Bun.sleep(1000); // claimed and read by now
    const before = beatAt(w.proc.pid!);
    serve = await startBridge({ env: q.env });
    const started = Date.now();
    const res = await call("run_script", { name: "slow", wait_seconds: 25 }, 40_000);
    const s = res.structuredContent as { state: string; error?: { code: string } };
    expect(s.state).toBe("failed");
    expect(s.error?.code).toBe("TIMEOUT");
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(beatAt(w.proc.pid!) > before).toBe(true);
  }, 60_000);

  test("serve: FIFOs as the script catalog, a heartbeat, a result, a progress file, a cancel file and the journal", async () => {
    q.addScript("slow", "#!/bin/sh\nsleep 3\necho done\n");
    const w = q.startWorker();
    await w.ready();
    await until(
      () => {
        try {
          return readFileSync(queueDir("scripts.json"), "utf8") ? true : undefined;
        } catch {
          return undefined;
        }
      },
      10_000,
      "the catalog",
    );
    serve = await startBridge({ env: q.env });
    const started = await call("run_script", { name: "slow", wait_seconds: 0 });
    const id = (started.structuredContent as { job_id: string }).job_id;
    fifo(queueDir("scripts.json"));
    fifo(queueDir("workers", "w-1-0000fifo.json"));
    fifo(queueDir("progress", `${id}.jsonl`));
    const other = newJobId("script");
    fifo(queueDir("results", `${other}.json`));
    fifo(queueDir("cancel", other));
    fifo(queueDir("journal.jsonl"));
    await serve.client.ping({ timeout: 5000 });
    expect((await call("run_script", {})).isError).toBeFalsy();
    await call("get_job", { job_id: other, wait_seconds: 1 });
    await call("cancel_job", { job_id: other });
    expect((await call("get_job", {})).isError).toBeFalsy();
    const res = await call("get_job", { job_id: id, wait_seconds: 15 }, 30_000); // tails the progress FIFO
    expect((res.structuredContent as { state: string }).state).toBe("done");
    await call("run_script", { name: "slow", wait_seconds: 0 }); // journals a submit into the FIFO
    await serve.client.ping({ timeout: 5000 });
    expect(w.proc.exitCode).toBeNull();
  }, 90_000);
});

describe("a FIFO as bridge's own config file", () => {
  test("every command says so at once instead of waiting forever", () => {
    const dir = tempDir("bridge-sec-config-");
    try {
      const config = join(dir.path, "config.json");
      fifo(config);
      const started = Date.now();
      const r = Bun.spawnSync([requireBinary(), "doctor", "--print-image"], {
        env: { ...process.env, BRIDGE_ROOT: dir.path, MCP_BRIDGE_CONFIG: config },
        stdout: "pipe",
        stderr: "pipe",
        timeout: 10_000,
      });
      expect(Date.now() - started).toBeLessThan(9_000);
      expect(r.exitCode).toBe(2);
      expect(r.stderr.toString()).toContain("not a regular file");
    } finally {
      dir.cleanup();
    }
  });
});
