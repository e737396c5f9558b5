/**
 * End to end for `dist/bridge worker` itself: SIGTERM with a grace period, --once, --init,
 * --install-service --print, flag validation, and the published heartbeat.
 */
import { afterEach, expect, test } from "bun:test";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { BRIDGE_BIN } from "../support/bridge.ts";
import { queueRoot, until, type QueueRoot } from "../support/queue-worker.ts";

let q: QueueRoot | undefined;
afterEach(async () => {
  await q?.cleanup();
  q = undefined;
});

test("SIGTERM: a job that finishes within --grace is done; one that does not is interrupted; the worker exits 0", async () => {
  q = await queueRoot();
  q.addScript("short", "#!/bin/sh\nsleep 1\necho finished\n");
  q.addScript("long", "#!/bin/sh\nsleep 30\n");
  const w1 = q.startWorker(["--grace", "5s"]);
  await w1.ready();
  const a = await q.queue().submit("script", { name: "short", args: [] });
  await until(
    async () => ((await q!.queue().get(a.id))?.state === "running" ? true : undefined),
    10_000,
    "short running",
  );
  w1.proc.kill("SIGTERM");
  expect(await w1.exited).toBe(0);
  expect((await q.queue().get(a.id))?.result).toMatchObject({ state: "done", outcome: { stdout: "finished\n" } });

  const w2 = q.startWorker(["--grace", "500ms"]);
  await w2.ready();
  const b = await q.queue().submit("script", { name: "long", args: [] });
  await until(
    async () => ((await q!.queue().get(b.id))?.state === "running" ? true : undefined),
    10_000,
    "long running",
  );
  const t0 = Date.now();
  w2.proc.kill("SIGTERM");
  expect(await w2.exited).toBe(0);
  expect(Date.now() - t0).toBeLessThan(10_000);
  expect((await q.queue().get(b.id))?.result).toMatchObject({
    state: "interrupted",
    error: { code: "JOB_INTERRUPTED" },
  });
  // Nothing is left: no heartbeat, no running directory.
  expect(readdirSync(join(q.root, "queue", "workers"))).toEqual([]);
  expect(readdirSync(join(q.root, "queue", "running"))).toEqual([]);
}, 40_000);

test("--once drains the queue and exits; the heartbeat describes the worker while it runs", async () => {
  q = await queueRoot();
  q.addScript("noop", "#!/bin/sh\nexit 0\n");
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await q.queue().submit("script", { name: "noop", args: [] })).id);
  const w = q.startWorker(["--once", "--concurrency", "3"]);
  expect(await w.exited).toBe(0);
  for (const id of ids) expect((await q.queue().get(id))?.state).toBe("done");

  const live = q.startWorker(["--concurrency", "3"]);
  await live.ready();
  const status = await q.queue().workerStatus();
  expect(status.alive).toBe(true);
  expect(status.workers[0]).toMatchObject({ pid: live.proc.pid, concurrency: 3, draining: false });
  live.proc.kill("SIGTERM");
  await live.exited;
  expect((await q.queue().workerStatus()).alive).toBe(false);
}, 30_000);

test("--init is idempotent and private; --install-service --print renders a unit with this binary; bad flags exit 2", async () => {
  q = await queueRoot();
  const run = (args: string[]) =>
    Bun.spawnSync([BRIDGE_BIN, "worker", ...args], { env: q!.env, stdout: "pipe", stderr: "pipe" });
  const again = run(["--init"]);
  expect(again.exitCode).toBe(0);
  expect(again.stdout.toString()).toContain("already existed, unchanged");
  expect(again.stdout.toString()).toContain(`BRIDGE_TOKEN_FILE=${join(q.root, "token")}`);
  expect(readFileSync(join(q.root, "token"), "utf8").trim()).toBe(q.token);
  expect(statSync(join(q.root, "token")).mode & 0o777).toBe(0o600);
  expect(statSync(join(q.root, "queue")).mode & 0o777).toBe(0o700);

  const unit = run(["--install-service", "--print", "--concurrency", "3"]);
  expect(unit.exitCode).toBe(0);
  const text = unit.stdout.toString();
  if (process.platform === "linux") {
    expect(text).toContain(`ExecStart=${BRIDGE_BIN} worker --concurrency 3`);
    expect(text).toContain(`Environment=BRIDGE_ROOT=${q.root}`);
    expect(text).not.toContain(q.token);
  }
  if (process.platform === "linux") {
    const installed = run(["--install-service"]);
    expect(installed.exitCode).toBe(0);
    const unitPath = join(q.root, ".config", "systemd", "user", "bridge-worker.service"); // HOME is the temp root
    expect(installed.stdout.toString()).toContain(unitPath);
    expect(installed.stdout.toString()).toContain("systemctl --user enable --now bridge-worker.service");
    expect(readFileSync(unitPath, "utf8")).toContain(`ExecStart=${BRIDGE_BIN} worker`);
  }
  for (const bad of [
    ["--concurrency", "0"],
    ["--permission-mode", "yolo"],
    ["--allow-rot", "/"],
    ["--allow-root", "/nonexistent-xyz"],
  ]) {
    const r = run(bad);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString().length).toBeGreaterThan(0);
  }
  // The worker refuses to start without a token, saying how to create one.
  const noToken = Bun.spawnSync([BRIDGE_BIN, "worker"], {
    env: { ...q.env, BRIDGE_TOKEN_FILE: join(q.root, "missing") },
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(noToken.exitCode).toBe(1);
  expect(noToken.stderr.toString()).toContain("bridge worker --init");
}, 30_000);
