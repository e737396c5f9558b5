/**
 * End to end: `dist/bridge serve` and `dist/bridge worker` over a temp BRIDGE_ROOT. Jobs go through
 * the real file queue; hostile job files are written straight into the queue directory.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { signJob } from "../../src/queue/auth.ts";
import { newJobId, newNonce } from "../../src/queue/ids.ts";
import type { Job } from "../../src/queue/types.ts";
import { resultText, startBridge, type RunningBridge } from "../support/bridge.ts";
import { queueRoot, until, type QueueRoot } from "../support/queue-worker.ts";
import { listeningSockets, socketCount } from "../support/queue-sockets.ts";

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

const ECHO = '#!/bin/sh\nprintf "%s\\n" "$#"\nfor a in "$@"; do printf "<%s>\\n" "$a"; done\n';
const call = (name: string, args: Record<string, unknown>) => serve!.client.callTool({ name, arguments: args });
type Structured = Record<string, any>;

describe("queue e2e", () => {
  test("run_script passes argv verbatim; without a name it lists schemas and flags", async () => {
    q.addScript("echo-args", ECHO, {
      description: "prints its args",
      args: { type: "array", items: { type: "string" } },
      readOnly: true,
    });
    q.addScript("plain", "#!/bin/sh\nexit 0\n");
    const w = q.startWorker();
    await w.ready();
    serve = await startBridge({ env: q.env });
    const listed = await call("run_script", {});
    const scripts = (listed.structuredContent as Structured).scripts;
    expect(scripts.map((s: Structured) => s.name)).toEqual(["echo-args", "plain"]);
    expect(scripts[0]).toMatchObject({
      description: "prints its args",
      read_only: true,
      destructive: false,
      args_schema: { type: "array" },
    });
    expect(scripts[1]).toMatchObject({ read_only: false, destructive: true });

    const args = ["--help", "two words", "$(rm -rf /)", "line1\nline2", "", "'quoted'", "; ls", "*"];
    const res = await call("run_script", { name: "echo-args", args, wait_seconds: 20 });
    const s = res.structuredContent as Structured;
    expect(res.isError).toBeFalsy();
    expect(s.state).toBe("done");
    expect(s.outcome.exit_code).toBe(0);
    expect(s.outcome.stdout).toBe(`${args.length}\n${args.map((a) => `<${a}>`).join("\n")}\n`);
    expect(resultText(res as { content?: unknown })).toContain("exit code: 0");
  }, 30_000);

  test("a script that exits non-zero is failed with its exit code and output", async () => {
    q.addScript("fails", "#!/bin/sh\necho out; echo err >&2; exit 3\n");
    await q.startWorker().ready();
    serve = await startBridge({ env: q.env });
    const res = await call("run_script", { name: "fails", wait_seconds: 20 });
    const s = res.structuredContent as Structured;
    expect(res.isError).toBe(true);
    expect(s.state).toBe("failed");
    expect(s.error.code).toBe("SCRIPT_FAILED");
    expect(s.outcome).toMatchObject({ exit_code: 3, stdout: "out\n", stderr: "err\n" });
  }, 30_000);

  test("forged, unsigned, expired, future, malformed and replayed job files are rejected and journaled", async () => {
    const marker = join(q.root, "ran.txt");
    q.addScript("mark", `#!/bin/sh\necho "$1" >> ${marker}\n`);
    await q.startWorker().ready();
    const incoming = join(q.root, "queue", "incoming");
    const make = (at = Date.now()): Job<"script"> => ({
      id: newJobId("script", at),
      kind: "script",
      createdAt: new Date(at).toISOString(),
      nonce: newNonce(),
      body: { name: "mark", args: ["x"] },
    });
    // Written whole and renamed in (as a writer would): the worker must judge the content, not a half-written file.
    const put = (obj: unknown, id: string) => {
      const tmp = join(q.root, "queue", "tmp", `${id}.test`);
      writeFileSync(tmp, JSON.stringify(obj));
      renameSync(tmp, join(incoming, `${id}.json`));
    };

    const forged = signJob(make(), "f".repeat(64));
    const unsigned = { v: 1, ...make() };
    const expired = signJob(make(Date.now() - 3 * 24 * 3600_000), q.token);
    const future = signJob(make(Date.now() + 3600_000), q.token);
    const tampered = { ...signJob(make(), q.token), body: { name: "mark", args: ["tampered"] } };
    const kindSwap = signJob(make(), q.token);
    (kindSwap as any).kind = "claude";
    for (const j of [forged, unsigned, expired, future, tampered, kindSwap]) put(j, j.id);
    writeFileSync(join(incoming, "not-a-job.json"), "{");

    // A legitimate job runs once; copying its file back into the queue is a replay.
    const good = await q.queue().submit("script", { name: "mark", args: ["good"] });
    const goodResult = await q.queue().wait(good.id, { timeoutMs: 10_000 });
    expect(goodResult?.state).toBe("done");
    const archived = join(q.root, "queue", "jobs", `${good.id}.json`);
    await until(() => (existsSync(archived) ? true : undefined), 5000, "job archived");
    put(JSON.parse(readFileSync(archived, "utf8")), good.id);

    serve = await startBridge({ env: q.env });
    const expectReason: Array<[string, string]> = [
      [forged.id, "forged"],
      [unsigned.id, "unsigned"],
      [expired.id, "expired"],
      [future.id, "future"],
      [tampered.id, "forged"],
      [kindSwap.id, "malformed"],
    ];
    for (const [id, reason] of expectReason) {
      const res = await call("get_job", { job_id: id, wait_seconds: 10 });
      const s = res.structuredContent as Structured;
      expect(s.state).toBe("rejected");
      expect(s.error.code).toBe("AUTH_FAILED");
      expect(s.error.message).toContain(`(${reason})`);
      expect(res.isError).toBe(true);
    }
    const readJournal = () =>
      readFileSync(join(q.root, "queue", "journal.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
    await until(
      () => (readJournal().some((e) => e.event === "rejected" && e.id === good.id) ? true : undefined),
      5000,
      "replay journaled",
    );
    const journal = readJournal();
    const rejections = journal.filter((e) => e.event === "rejected");
    expect(rejections.find((e) => e.id === good.id)?.reason).toBe("replayed");
    expect(rejections.filter((e) => e.file === "not-a-job.json" || e.id === "not-a-job").length).toBe(1);
    for (const [id, reason] of expectReason) expect(rejections.find((e) => e.id === id)?.reason).toBe(reason);
    // The replay did not overwrite the real result, and nothing but the good job ever ran.
    expect((await q.queue().get(good.id))?.result?.state).toBe("done");
    expect(readFileSync(marker, "utf8")).toBe("good\n");
    // Secrets never appear in job files.
    expect(readFileSync(join(q.root, "queue", "jobs", `${good.id}.json`), "utf8")).not.toContain(q.token);
  }, 40_000);

  test("kill -9 of the worker mid-job: the job ends interrupted on the next start and never runs again", async () => {
    const marker = join(q.root, "started.txt");
    const pidFile = join(q.root, "script.pid");
    q.addScript("slow", `#!/bin/sh\necho start >> ${marker}\necho $$ > ${pidFile}\nsleep 30\n`);
    const w1 = q.startWorker();
    await w1.ready();
    const job = await q.queue().submit("script", { name: "slow", args: [] });
    await until(() => (existsSync(pidFile) ? true : undefined), 10_000, "script start");
    w1.proc.kill("SIGKILL");
    await w1.exited;
    // The watchdog in the script's process group stops it once the worker is gone.
    const scriptPid = Number(readFileSync(pidFile, "utf8"));
    await until(
      () => {
        try {
          process.kill(scriptPid, 0);
          return undefined;
        } catch {
          return true;
        }
      },
      10_000,
      "orphaned script stopped",
    );
    expect((await q.queue().get(job.id))?.state).toBe("running");
    const w2 = q.startWorker();
    await w2.ready();
    const result = await q.queue().wait(job.id, { timeoutMs: 15_000 });
    expect(result?.state).toBe("interrupted");
    expect(result?.error?.code).toBe("JOB_INTERRUPTED");
    expect(result?.error?.message).toContain("not re-run");
    await Bun.sleep(1000);
    expect(readFileSync(marker, "utf8")).toBe("start\n");
  }, 40_000);

  test("restarting serve while a job runs: get_job from the new serve returns the result", async () => {
    q.addScript("nap", "#!/bin/sh\nsleep 1.5\necho rested\n");
    await q.startWorker().ready();
    serve = await startBridge({ env: q.env });
    const first = await call("run_script", { name: "nap", wait_seconds: 0 });
    const s1 = first.structuredContent as Structured;
    expect(["queued", "running"]).toContain(s1.state);
    expect(s1.next).toContain("get_job");
    await serve.close();
    serve = await startBridge({ env: q.env });
    const res = await call("get_job", { job_id: s1.job_id, wait_seconds: 15 });
    const s2 = res.structuredContent as Structured;
    expect(s2.state).toBe("done");
    expect(s2.outcome.stdout).toBe("rested\n");
    const listed = await call("get_job", {});
    expect((listed.structuredContent as Structured).jobs[0]).toMatchObject({ job_id: s1.job_id, state: "done" });
  }, 40_000);

  test("progress notifications while waiting; cancel_job stops a running script", async () => {
    q.addScript("long", "#!/bin/sh\nsleep 60\n");
    await q.startWorker().ready();
    serve = await startBridge({ env: q.env });
    const progress: string[] = [];
    const pending = serve.client.callTool(
      { name: "run_script", arguments: { name: "long", wait_seconds: 30 } },
      undefined,
      {
        onprogress: (p) => {
          progress.push(String(p.message));
        },
        timeout: 60_000,
      },
    );
    await until(() => (progress.length ? true : undefined), 10_000, "a progress notification");
    expect(progress[0]).toContain("running script long");
    const listed = (await call("get_job", {})).structuredContent as Structured;
    const running = { jobs: listed.jobs.filter((j: Structured) => j.state === "running") };
    expect(running.jobs.length).toBe(1);
    const cancelled = await call("cancel_job", { job_id: running.jobs[0].job_id });
    expect((cancelled.structuredContent as Structured).state).toBe("cancelled");
    const res = await pending;
    expect((res.structuredContent as Structured).state).toBe("cancelled");
  }, 40_000);

  test("a client cancelling the request (notifications/cancelled) cancels the job", async () => {
    q.addScript("long", "#!/bin/sh\nsleep 60\n");
    await q.startWorker().ready();
    serve = await startBridge({ env: q.env });
    const abort = new AbortController();
    const pending = serve.client
      .callTool({ name: "run_script", arguments: { name: "long", wait_seconds: 30 } }, undefined, {
        signal: abort.signal,
      })
      .catch((e) => e);
    const id = await until(async () => (await q.queue().list("running"))[0]?.id, 10_000, "job running");
    abort.abort();
    await pending;
    const result = await q.queue().wait(id, { timeoutMs: 10_000 });
    expect(result?.state).toBe("cancelled");
  }, 40_000);

  test("with no live worker, run_script says so at once with the command that starts one", async () => {
    q.addScript("plain", "#!/bin/sh\nexit 0\n");
    serve = await startBridge({ env: q.env });
    const started = Date.now();
    const res = await call("run_script", { name: "plain" });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(res.isError).toBe(true);
    expect(resultText(res as { content?: unknown })).toContain("No bridge worker is running");
    expect(resultText(res as { content?: unknown })).toContain(`BRIDGE_ROOT=${q.root} bridge worker`);
  }, 20_000);

  test("serve without the token: run_script says how to give it one", async () => {
    q.addScript("plain", "#!/bin/sh\nexit 0\n");
    await q.startWorker().ready();
    serve = await startBridge({ env: { ...q.env, BRIDGE_TOKEN_FILE: join(q.root, "no-such-token") } });
    const res = await call("run_script", { name: "plain", wait_seconds: 5 });
    expect(res.isError).toBe(true);
    expect(resultText(res as { content?: unknown })).toContain("bridge worker --init");
    expect(await q.queue().list()).toEqual([]);
  }, 20_000);

  test.skipIf(process.platform !== "linux")(
    "neither serve nor worker holds a listening socket",
    async () => {
      q.addScript("plain", "#!/bin/sh\nexit 0\n");
      const w = q.startWorker();
      await w.ready();
      serve = await startBridge({ env: q.env });
      await call("run_script", { name: "plain", wait_seconds: 10 });
      expect(listeningSockets(serve.pid()!)).toEqual([]);
      expect(listeningSockets(w.proc.pid!)).toEqual([]);
      // The check itself can see a listener: a throwaway TCP server on loopback.
      const listener = spawn(
        "bun",
        [
          "-e",
          "Bun.listen({hostname:'127.0.0.1',port:0,socket:{data(){}}}); setTimeout(()=>{}, 60000); console.log('up')",
        ],
        { stdio: ["ignore", "pipe", "ignore"] },
      );
      try {
        await new Promise((r) => listener.stdout!.once("data", r));
        expect(listeningSockets(listener.pid!).length).toBeGreaterThan(0);
        expect(socketCount(listener.pid!)).toBeGreaterThan(0);
      } finally {
        listener.kill("SIGKILL");
      }
    },
    30_000,
  );
});

describe("queue e2e: hostile input", () => {
  test("hostile job ids, symlinked and oversized job files; get_job with no worker answers at once", async () => {
    q.addScript("plain", "#!/bin/sh\nexit 0\n");
    const w = q.startWorker();
    await w.ready();
    const incoming = join(q.root, "queue", "incoming");
    const secretTarget = join(q.root, "target.txt");
    writeFileSync(secretTarget, "do not touch");
    const linkedId = newJobId("script");
    const { symlinkSync } = await import("node:fs");
    symlinkSync(secretTarget, join(incoming, `${linkedId}.json`));
    const bigId = newJobId("script");
    const big = signJob(
      {
        id: bigId,
        kind: "script",
        createdAt: new Date().toISOString(),
        nonce: newNonce(),
        body: { name: "plain", args: ["x".repeat(3 * 1024 * 1024)] },
      },
      q.token,
    );
    writeFileSync(join(q.root, "queue", "tmp", "big"), JSON.stringify(big));
    renameSync(join(q.root, "queue", "tmp", "big"), join(incoming, `${bigId}.json`));
    serve = await startBridge({ env: q.env });
    for (const id of [linkedId, bigId]) {
      const s = (await call("get_job", { job_id: id, wait_seconds: 10 })).structuredContent as Structured;
      expect(s.state).toBe("rejected");
      expect(s.error.code).toBe("AUTH_FAILED");
    }
    expect(readFileSync(secretTarget, "utf8")).toBe("do not touch");
    for (const id of ["../../token", "s-0000/../x", "", "x".repeat(5000)]) {
      const res = await call("get_job", { job_id: id, wait_seconds: 0 });
      expect(res.isError).toBe(true);
      expect(resultText(res as { content?: unknown })).toContain("No job with id");
      expect((await call("cancel_job", { job_id: id })).isError).toBe(true);
    }
    // Too big for the queue: refused by serve, nothing is written.
    const tooBig = await call("run_script", { name: "plain", args: ["y".repeat(3 * 1024 * 1024)], wait_seconds: 0 });
    expect(tooBig.isError).toBe(true);
    expect(resultText(tooBig as { content?: unknown })).toMatch(/at most|Too big/);
    // A result planted by someone without the token is ignored, and the worker's real result replaces it.
    q.addScript("nap", "#!/bin/sh\nsleep 1\necho real\n");
    const napped = await q.queue().submit("script", { name: "nap", args: [] });
    writeFileSync(
      join(q.root, "queue", "results", `${napped.id}.json`),
      JSON.stringify({
        id: napped.id,
        kind: "script",
        state: "done",
        outcome: { exit_code: 0, stdout: "fake" },
        finishedAt: new Date().toISOString(),
      }),
    );
    const real = (await call("get_job", { job_id: napped.id, wait_seconds: 15 })).structuredContent as Structured;
    expect(real.state).toBe("done");
    expect(real.outcome.stdout).toBe("real\n");
    // No live worker: get_job on a queued job says so without waiting.
    w.proc.kill("SIGTERM");
    await w.exited;
    const queued = await q.queue().submit("script", { name: "plain", args: [] });
    const t0 = Date.now();
    const res = await call("get_job", { job_id: queued.id, wait_seconds: 30 });
    expect(Date.now() - t0).toBeLessThan(5000);
    const s = res.structuredContent as Structured;
    expect(s.state).toBe("queued");
    expect(s.next).toContain("No bridge worker is running");
  }, 40_000);
});
