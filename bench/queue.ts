/**
 * Queue benchmark against the compiled binary (`bun run build` first):
 *  - escalation overhead: escalate_to_claude through `serve` + `worker` against running the same
 *    `claude -p` directly, same fake Messages API, interleaved rounds in one run (median of the
 *    paired differences; goal ≤ 10 ms), and `serve`'s RSS with only the queue tool groups;
 *  - enqueue→claim and enqueue→result latency (p50/p95) for a trivial script, one job at a time;
 *  - throughput (jobs/s) draining a burst of jobs with 1 and 4 workers.
 * Prints numbers; asserts nothing.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { startBridge } from "../test/support/bridge.ts";
import { CLAUDE_BIN, claudeEnv } from "../test/support/claude-cli.ts";
import { startFakeAnthropic } from "../test/support/fake-anthropic.ts";
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
    const journal = readFileSync(join(q.root, "queue", "journal.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const submitted = new Map<string, number>();
    const claim: number[] = [];
    for (const e of journal) {
      if (e.event === "submitted") submitted.set(e.id, Date.parse(e.at));
      if (e.event === "claimed" && submitted.has(e.id)) claim.push(Date.parse(e.at) - submitted.get(e.id)!);
    }
    console.log(`latency, ${LATENCY_JOBS} sequential jobs, 1 worker (trivial script):`);
    console.log(
      `  enqueue→claim   p50 ${fmt(pct(claim, 50))}  p95 ${fmt(pct(claim, 95))}  max ${fmt(Math.max(...claim))}  (journal ms resolution)`,
    );
    console.log(
      `  enqueue→result  p50 ${fmt(pct(total, 50))}  p95 ${fmt(pct(total, 95))}  max ${fmt(Math.max(...total))}`,
    );
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
    const journal = readFileSync(join(q.root, "queue", "journal.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const claims = journal.filter((e) => e.event === "claimed").map((e) => Date.parse(e.at));
    const finishes = journal.filter((e) => e.event === "finished").map((e) => Date.parse(e.at));
    const drainMs = Math.max(...finishes) - Math.min(...claims);
    const done = readdirSync(resultsDir).filter((f) =>
      readFileSync(join(resultsDir, f), "utf8").includes('"state":"done"'),
    ).length;
    console.log(
      `throughput, ${BURST_JOBS} queued jobs, ${workers} worker(s) × concurrency ${concurrency}: ${(BURST_JOBS / (drainMs / 1000)).toFixed(0)} jobs/s first claim→last result (${fmt(drainMs)}; ${fmt(wallMs)} incl. worker start), ${done} done`,
    );
  } finally {
    await q.cleanup();
  }
}

const ESCALATION_ROUNDS = Number(process.env.BENCH_ESCALATION_ROUNDS ?? 20);

const rssMb = (pid: number | null): string => {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
    return `${(kb / 1024).toFixed(1)} MB`;
  } catch {
    return "n/a";
  }
};

async function escalationOverhead(): Promise<void> {
  const fake = startFakeAnthropic();
  const q = await queueRoot({
    ...claudeEnv(fake, "/tmp"),
    BRIDGE_CLAUDE_BIN: CLAUDE_BIN,
    MCP_BRIDGE_LOG_LEVEL: "warn",
  });
  const home = join(q.root, "home");
  const repo = join(q.root, "repo");
  mkdirSync(home);
  mkdirSync(repo);
  q.env.HOME = home;
  const w = q.startWorker(["--allow-root", repo]);
  await w.ready();
  const serve = await startBridge({
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      BRIDGE_ROOT: q.root,
      BRIDGE_TOKEN_FILE: join(q.root, "token"),
      MCP_BRIDGE_LOG_LEVEL: "warn",
      MCP_BRIDGE_TOOLS: "escalation,scripts,jobs",
    },
  });
  try {
    const direct = async () => {
      fake.script([{ kind: "text", text: "ok" }]);
      const t0 = performance.now();
      const p = Bun.spawn(
        [
          CLAUDE_BIN,
          "-p",
          "--output-format",
          "stream-json",
          "--verbose",
          "--permission-mode=default",
          "--setting-sources=user", // as the worker runs it (src/worker/claude/command.ts)
          `--session-id=${crypto.randomUUID()}`,
        ],
        {
          cwd: repo,
          env: { ...claudeEnv(fake, home) },
          stdin: new TextEncoder().encode("say ok"),
          stdout: "pipe",
          stderr: "ignore",
        },
      );
      const out = await new Response(p.stdout).text();
      await p.exited;
      if (!out.includes('"type":"result"')) throw new Error("direct claude -p gave no result");
      return performance.now() - t0;
    };
    const viaBridge = async () => {
      fake.script([{ kind: "text", text: "ok" }]);
      const t0 = performance.now();
      const res = await serve.client.callTool(
        { name: "escalate_to_claude", arguments: { request: "say ok", cwd: repo } },
        CallToolResultSchema,
        { timeout: 60_000 },
      );
      if ((res.structuredContent as { state?: string }).state !== "done")
        throw new Error(`escalation: ${JSON.stringify(res.structuredContent)}`);
      return performance.now() - t0;
    };
    await direct();
    await viaBridge(); // warm-up: the worker's one-time claude auth pre-flight, page cache
    const d: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < ESCALATION_ROUNDS; i++) {
      // Alternate the order so drift on a shared machine hits both sides alike.
      if (i % 2) {
        b.push(await viaBridge());
        d.push(await direct());
      } else {
        d.push(await direct());
        b.push(await viaBridge());
      }
    }
    const diffs = b.map((x, i) => x - d[i]!);
    console.log(`escalation, ${ESCALATION_ROUNDS} interleaved rounds (real claude CLI, fake Messages API):`);
    console.log(`  direct claude -p       p50 ${fmt(pct(d, 50))}  p95 ${fmt(pct(d, 95))}`);
    console.log(`  escalate_to_claude     p50 ${fmt(pct(b, 50))}  p95 ${fmt(pct(b, 95))}`);
    console.log(`  queue overhead         median ${fmt(pct(diffs, 50))} (paired; goal ≤ 10 ms)`);
    console.log(
      `  serve RSS (tools escalation,scripts,jobs, after ${ESCALATION_ROUNDS + 1} escalations): ${rssMb(serve.pid())}; worker RSS: ${rssMb(w.proc.pid ?? null)}`,
    );
  } finally {
    await serve.close();
    await q.cleanup();
    await fake.stop();
  }
}

console.log(`bench/queue.ts on ${navigator.hardwareConcurrency} CPUs`);
await escalationOverhead();
if (process.env.BENCH_ONLY_ESCALATION) process.exit(0);
await latency();
await throughput(1, 1);
await throughput(1, 4);
await throughput(4, 1);
await throughput(4, 2);
