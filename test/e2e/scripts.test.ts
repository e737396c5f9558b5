/**
 * End to end for the script whitelist: hostile names through serve's run_script and, bypassing
 * serve, straight into the queue (the worker must refuse them too); argv/env/stdin/output/timeout
 * behaviour of a real `dist/bridge worker`.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resultText, startBridge, type RunningBridge } from "../support/bridge.ts";
import { queueRoot, until, type QueueRoot } from "../support/queue-worker.ts";

let q: QueueRoot | undefined;
let serve: RunningBridge | undefined;
afterEach(async () => {
  await serve?.close().catch(() => {});
  serve = undefined;
  await q?.cleanup();
  q = undefined;
});
type Structured = Record<string, any>;

describe("scripts e2e", () => {
  test("traversal, absolute paths, links out of the dir and unknown names are rejected by serve and by the worker", async () => {
    q = await queueRoot();
    const marker = join(q.root, "ran.txt");
    q.addScript("ok", `#!/bin/sh\necho ok >> ${marker}\n`);
    symlinkSync("/bin/sh", join(q.scripts, "evil"));
    symlinkSync(join(q.scripts, "ok"), join(q.scripts, "alias"));
    writeFileSync(join(q.scripts, "notexec"), "#!/bin/sh\necho hi\n");
    writeFileSync(join(q.root, "outside"), `#!/bin/sh\necho outside >> ${marker}\n`);
    chmodSync(join(q.root, "outside"), 0o755);
    await q.startWorker().ready();
    serve = await startBridge({ env: q.env });

    const names = (
      (await serve.client.callTool({ name: "run_script", arguments: {} })).structuredContent as Structured
    ).scripts.map((s: Structured) => s.name);
    expect(names).toEqual(["alias", "ok"]);

    const hostile = [
      "../outside",
      "/bin/sh",
      "..",
      "evil",
      "notexec",
      "nope",
      "ok/../../outside",
      "ok\0",
      "ok.json",
      "-rf",
      "sub/ok",
    ];
    for (const name of hostile) {
      const res = await serve.client.callTool({ name: "run_script", arguments: { name, wait_seconds: 5 } });
      expect(res.isError).toBe(true);
      expect(resultText(res as { content?: unknown })).toMatch(/rejected|not a whitelisted script/);
    }
    // Straight into the queue, skipping serve's checks: the worker refuses them on its own.
    for (const name of hostile) {
      const job = await q.queue().submit("script", { name, args: [] });
      const result = await q.queue().wait(job.id, { timeoutMs: 10_000 });
      expect(result?.state).toBe("failed");
      expect(result?.error?.code).toBe("SCRIPT_REJECTED");
    }
    expect(existsSync(marker)).toBe(false);
    // A link that stays inside the directory is fine.
    const res = await serve.client.callTool({ name: "run_script", arguments: { name: "alias", wait_seconds: 10 } });
    expect((res.structuredContent as Structured).state).toBe("done");
    expect(readFileSync(marker, "utf8")).toBe("ok\n");
  }, 60_000);

  test("args schema is enforced; env is minimal (PATH + allowlist); stdin is passed; output is capped", async () => {
    q = await queueRoot({ SECRET_THING: "leak", ALLOWED_VAR: "fine", MCP_BRIDGE_MAX_OUTPUT: "1k" });
    q.addScript("pick", '#!/bin/sh\necho "$1"\n', {
      args: { type: "array", items: { enum: ["red", "green"] }, maxItems: 1 },
    });
    q.addScript("env", "#!/bin/sh\nenv | sort\n", { env: ["ALLOWED_VAR"] });
    q.addScript("cat", "#!/bin/sh\ncat\n");
    q.addScript("big", "#!/bin/sh\nhead -c 5000 /dev/zero | tr '\\0' x\n");
    await q.startWorker().ready();
    serve = await startBridge({ env: q.env });
    const run = (name: string, extra: Record<string, unknown> = {}) =>
      serve!.client.callTool({ name: "run_script", arguments: { name, wait_seconds: 10, ...extra } });

    expect(((await run("pick", { args: ["red"] })).structuredContent as Structured).outcome.stdout).toBe("red\n");
    const bad = await run("pick", { args: ["blue"] });
    expect(bad.isError).toBe(true);
    expect(resultText(bad as { content?: unknown })).toContain("do not match its schema");
    const direct = await q.queue().submit("script", { name: "pick", args: ["red", "green"] });
    expect((await q.queue().wait(direct.id, { timeoutMs: 10_000 }))?.error?.code).toBe("SCRIPT_REJECTED");

    const envOut: string = ((await run("env")).structuredContent as Structured).outcome.stdout;
    const keys = envOut
      .trim()
      .split("\n")
      .map((l) => l.split("=")[0])
      .filter((k) => k !== "PWD" && k !== "SHLVL" && k !== "_");
    expect(keys.sort()).toEqual(["ALLOWED_VAR", "BRIDGE_JOB_ID", "PATH"]);
    expect(envOut).not.toContain("leak");

    expect(((await run("cat", { stdin: "from stdin\n$(x)" })).structuredContent as Structured).outcome.stdout).toBe(
      "from stdin\n$(x)",
    );
    const big = ((await run("big")).structuredContent as Structured).outcome;
    expect(big.truncated).toBe(true);
    expect(big.stdout.length).toBe(1024);
  }, 60_000);

  test("a script past its timeout is stopped with its whole process group and reported as TIMEOUT", async () => {
    q = await queueRoot();
    const pidFile = join(q.root, "child.pid");
    q.addScript("hang", `#!/bin/sh\nsleep 60 &\necho $! > ${pidFile}\nsleep 60\n`, { timeout: "1s" });
    await q.startWorker().ready();
    serve = await startBridge({ env: q.env });
    const res = await serve.client.callTool({ name: "run_script", arguments: { name: "hang", wait_seconds: 20 } });
    const s = res.structuredContent as Structured;
    expect(res.isError).toBe(true);
    expect(s.state).toBe("failed");
    expect(s.error.code).toBe("TIMEOUT");
    expect(s.outcome.timed_out).toBe(true);
    const child = Number(readFileSync(pidFile, "utf8"));
    await until(
      () => {
        try {
          process.kill(child, 0);
          return undefined;
        } catch {
          return true;
        }
      },
      5000,
      "background child gone",
    );
  }, 40_000);

  test("a scripts directory others can write to is refused", async () => {
    q = await queueRoot();
    q.addScript("ok", "#!/bin/sh\necho ok\n");
    chmodSync(q.scripts, 0o777);
    await q.startWorker().ready();
    const job = await q.queue().submit("script", { name: "ok", args: [] });
    const result = await q.queue().wait(job.id, { timeoutMs: 10_000 });
    expect(result?.state).toBe("failed");
    expect(result?.error?.message).toContain("writable by group or others");
    expect(result?.error?.hint).toContain("chmod go-w");
  }, 30_000);

  test("a script added while the worker runs: refused with when it will be listed, then runs", async () => {
    q = await queueRoot();
    q.addScript("first", "#!/bin/sh\necho first\n");
    await q.startWorker().ready();
    serve = await startBridge({ env: q.env });
    q.addScript("added", "#!/bin/sh\necho added\n");
    const early = await serve.client.callTool({ name: "run_script", arguments: { name: "added" } });
    // Unless the worker's refresh already ran: then it simply works.
    if (early.isError) expect(resultText(early as { content?: unknown })).toContain("listed within 5 s");
    const res = await until(
      async () => {
        const r = await serve!.client.callTool({ name: "run_script", arguments: { name: "added", wait_seconds: 10 } });
        return r.isError ? undefined : r;
      },
      15_000,
      "the added script to be listed",
    );
    expect((res.structuredContent as Structured).outcome.stdout).toBe("added\n");
  }, 40_000);
});
