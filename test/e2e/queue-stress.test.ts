/**
 * Exactly-once under contention: 4 `dist/bridge worker` processes drain 1,000 script jobs; each
 * job's script appends its argument to one file, and every argument must appear exactly once.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { queueRoot, type QueueRoot } from "../support/queue-worker.ts";

let q: QueueRoot;
beforeAll(async () => {
  q = await queueRoot({ MCP_BRIDGE_LOG_LEVEL: "warn" });
});
afterAll(async () => {
  await q.cleanup();
});

test("4 workers, 1,000 script jobs: each runs exactly once", async () => {
  const log = join(q.root, "ran.log");
  q.addScript("append", `#!/bin/sh\necho "$1" >> ${log}\n`);
  const workers = Array.from({ length: 4 }, () => q.startWorker(["--concurrency", "2"]));
  await Promise.all(workers.map((w) => w.ready()));
  const client = q.queue();
  const ids: string[] = [];
  for (let i = 0; i < 1000; i++) ids.push((await client.submit("script", { name: "append", args: [`job-${i}`] })).id);
  // Poll the results directory (1,000 concurrent waiters would load CI more than the workers do).
  const resultsDir = join(q.root, "queue", "results");
  const deadline = Date.now() + 170_000;
  while (readdirSync(resultsDir).length < ids.length && Date.now() < deadline) await Bun.sleep(50);
  let done = 0;
  for (const id of ids) if ((await client.wait(id, { timeoutMs: 5000 }))?.state === "done") done++;
  expect(done).toBe(1000);
  const lines = readFileSync(log, "utf8").trim().split("\n");
  expect(lines.length).toBe(1000);
  expect(new Set(lines).size).toBe(1000);
  // The work was shared (every worker claimed some) and nothing is left behind.
  const journal = readFileSync(join(q.root, "queue", "journal.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  const claimedBy = new Map<string, number>();
  for (const e of journal) if (e.event === "claimed") claimedBy.set(e.actor, (claimedBy.get(e.actor) ?? 0) + 1);
  expect([...claimedBy.values()].reduce((a, b) => a + b, 0)).toBe(1000);
  expect(claimedBy.size).toBe(4);
  expect(readdirSync(join(q.root, "queue", "incoming"))).toEqual([]);
  for (const w of workers) w.proc.kill("SIGTERM");
  expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0, 0]);
}, 180_000);
