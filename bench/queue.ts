/**
 * Queue benchmark against the compiled binary (`bun run build` first):
 *  - enqueue→claim and enqueue→result latency (p50/p95) for a trivial script, one job at a time;
 *  - throughput (jobs/s) draining a burst of jobs with 1 and 4 workers.
 * Prints numbers; asserts nothing.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { queueRoot } from "../test/support/queue-worker.ts";

const LATENCY_JOBS = Number(process.env.BENCH_LATENCY_JOBS ?? 200);
const BURST_JOBS = Number(process.env.BENCH_BURST_JOBS ?? 1000);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function latency(): Promise<void> {
  const q = await queueRoot({ MCP_BRIDGE_LOG_LEVEL: "warn" });
  try {
    q.addScript("noop", "#!/bin/sh\nexit 0\n");
    const w = q.startWorker(["--concurrency", "1"]);
    await w.ready();
    const client = q.queue();
    const total: number[] = [];
    for (let i = 0; i < LATENCY_JOBS; i++) {
      const t0 = performance.now();
      const job = await client.submit("script", { name: "noop", args: [] });
      const r = await client.wait(job.id, { timeoutMs: 10_000 });
      if (r?.state !== "done") throw new Error(`job ${job.id}: ${r?.state} ${r?.error?.message}`);
      total.push(performance.now() - t0);
    }
    const journal = readFileSync(join(q.root, "queue", "journal.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const submitted = new Map<string, number>();
    const claim: number[] = [];
    for (const e of journal) {
      if (e.event === "submitted") submitted.set(e.id, Date.parse(e.at));
      if (e.event === "claimed" && submitted.has(e.id)) claim.push(Date.parse(e.at) - submitted.get(e.id)!);
    }
    console.log(`latency, ${LATENCY_JOBS} sequential jobs, 1 worker (trivial script):`);
    console.log(`  enqueue→claim   p50 ${fmt(pct(claim, 50))}  p95 ${fmt(pct(claim, 95))}  max ${fmt(Math.max(...claim))}  (journal ms resolution)`);
    console.log(`  enqueue→result  p50 ${fmt(pct(total, 50))}  p95 ${fmt(pct(total, 95))}  max ${fmt(Math.max(...total))}`);
  } finally {
    await q.cleanup();
  }
}

async function throughput(workers: number, concurrency: number): Promise<void> {
  const q = await queueRoot({ MCP_BRIDGE_LOG_LEVEL: "warn" });
  try {
    q.addScript("noop", "#!/bin/sh\nexit 0\n");
    // Fill the queue first, so the submitter does not compete with the workers for the CPUs.
    const client = q.queue();
    for (let i = 0; i < BURST_JOBS; i++) await client.submit("script", { name: "noop", args: [String(i)] });
    const t0 = performance.now();
    const procs = Array.from({ length: workers }, () => q.startWorker(["--concurrency", String(concurrency)]));
    // Count result files rather than run 1,000 waiters (each with its own watchers) in this process.
    const resultsDir = join(q.root, "queue", "results");
    while (readdirSync(resultsDir).length < BURST_JOBS) await Bun.sleep(5);
    const wallMs = performance.now() - t0;
    await Promise.all(procs.map((p) => p.ready().catch(() => {})));
    const journal = readFileSync(join(q.root, "queue", "journal.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const claims = journal.filter((e) => e.event === "claimed").map((e) => Date.parse(e.at));
    const finishes = journal.filter((e) => e.event === "finished").map((e) => Date.parse(e.at));
    const drainMs = Math.max(...finishes) - Math.min(...claims);
    const done = readdirSync(resultsDir).filter((f) => readFileSync(join(resultsDir, f), "utf8").includes('"state":"done"')).length;
    console.log(`throughput, ${BURST_JOBS} queued jobs, ${workers} worker(s) × concurrency ${concurrency}: ${(BURST_JOBS / (drainMs / 1000)).toFixed(0)} jobs/s first claim→last result (${fmt(drainMs)}; ${fmt(wallMs)} incl. worker start), ${done} done`);
  } finally {
    await q.cleanup();
  }
}

console.log(`bench/queue.ts on ${navigator.hardwareConcurrency} CPUs`);
await latency();
await throughput(1, 1);
await throughput(1, 4);
await throughput(4, 1);
await throughput(4, 2);
