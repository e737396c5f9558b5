import { afterEach, describe, expect, test } from "bun:test";
import {
  chmodSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/index.ts";
import { openQueue } from "../../../src/queue/client.ts";
import { createFileAtomic } from "../../../src/queue/fsutil.ts";
import { ensureLayout } from "../../../src/queue/layout.ts";
import { readResult, writeResult } from "../../../src/queue/store.ts";
import { signRecord, signResult } from "../../../src/queue/auth.ts";
import { signHeartbeat } from "../../../src/queue/store.ts";
import { initToken, readSecret } from "../../../src/queue/token.ts";
import { isBridgeError } from "../../../src/errors.ts";

let dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), "bridge-unit-queue-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
const cfg = (root: string, env: Record<string, string> = {}) =>
  loadConfig({ env: { BRIDGE_ROOT: root, ...env }, readFile: () => undefined });

describe("token", () => {
  test("init creates a 0600 file once; readSecret reads it", () => {
    const root = join(temp(), "r");
    const c = cfg(root);
    expect(initToken(c).created).toBe(true);
    expect(initToken(c).created).toBe(false);
    expect(statSync(c.tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(root).mode & 0o777).toBe(0o700);
    expect(readSecret(c)).toMatch(/^[0-9a-f]{64}$/);
  });
  test("BRIDGE_TOKEN wins; short tokens, missing, readable and linked files are refused", () => {
    const root = temp();
    expect(readSecret(cfg(root, { BRIDGE_TOKEN: "x".repeat(40) }))).toBe("x".repeat(40));
    const fail = (c: ReturnType<typeof cfg>, text: string) => {
      try {
        readSecret(c);
        throw new Error("no error");
      } catch (err) {
        expect(isBridgeError(err, "AUTH_FAILED")).toBe(true);
        expect((err as Error).message).toContain(text);
      }
    };
    fail(cfg(root, { BRIDGE_TOKEN: "short" }), "too short");
    fail(cfg(root), "does not exist");
    const c = cfg(root);
    initToken(c);
    chmodSync(c.tokenFile, 0o644);
    fail(c, "readable by others");
    const link = join(root, "link");
    symlinkSync(c.tokenFile, link);
    fail(cfg(root, { BRIDGE_TOKEN_FILE: link }), "symlink");
  });
});

describe("client and store", () => {
  test("submit writes a signed 0600 file; get/list/cancel follow the job; results are written once", async () => {
    const root = temp();
    let now = Date.parse("2026-11-23T00:00:00Z");
    const q = openQueue(cfg(root, { BRIDGE_TOKEN: "k".repeat(64) }), { now: () => now });
    const a = await q.submit("script", { name: "s", args: ["1"] });
    now += 10;
    const b = await q.submit("claude", { request: "do   the\nthing" });
    const incoming = join(root, "queue", "incoming");
    expect(readdirSync(incoming).sort()).toEqual([`${a.id}.json`, `${b.id}.json`].sort());
    expect(statSync(join(incoming, `${a.id}.json`)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(incoming, `${a.id}.json`), "utf8")).not.toContain("k".repeat(64));
    expect(await q.get(a.id)).toMatchObject({ state: "queued", kind: "script", summary: "s 1" });
    expect((await q.list()).map((j) => j.id)).toEqual([b.id, a.id]);
    expect((await q.list("queued", 1)).map((j) => j.summary)).toEqual(["do the thing"]);

    const cancelled = await q.cancel(a.id);
    expect(cancelled).toMatchObject({ state: "cancelled", result: { error: { code: "CANCELLED" } } });
    expect(await q.wait(a.id, { timeoutMs: 10 })).toMatchObject({ state: "cancelled" });
    expect(await q.get("../../etc/passwd")).toBeUndefined();
    expect(await q.get("s-000000000-0000000000000000")).toBeUndefined();

    const layout = ensureLayout({ root });
    expect(writeResult(layout, { id: b.id, kind: "claude", state: "done", outcome: 1, finishedAt: "x" })).toBe(true);
    expect(writeResult(layout, { id: b.id, kind: "claude", state: "failed", outcome: 2, finishedAt: "x" })).toBe(false);
  });

  test("wait returns undefined on timeout and on abort, and hands progress lines over in order", async () => {
    const root = temp();
    const token = "k".repeat(64);
    const q = openQueue(cfg(root, { BRIDGE_TOKEN: token }));
    const j = await q.submit("script", { name: "s", args: [] });
    expect(await q.wait(j.id, { timeoutMs: 50 })).toBeUndefined();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const started = Date.now();
    expect(await q.wait(j.id, { timeoutMs: 5000, signal: ac.signal })).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1000);
    const progress = join(root, "queue", "progress", `${j.id}.jsonl`);
    const line = (seq: number, message: string, key = token) =>
      JSON.stringify(signRecord("progress", { job: j.id, seq, at: "t", message }, key));
    // An unsigned line, one signed with another key, and a torn one are skipped.
    writeFileSync(
      progress,
      `${line(1, "one")}\n{"job":"${j.id}","seq":9,"at":"t","message":"forged"}\n${line(9, "other key", "x".repeat(64))}\n${line(2, "two")}\n{"seq":3,"at":"t","mess`,
    );
    const seen: string[] = [];
    expect(await q.wait(j.id, { timeoutMs: 50, onProgress: (e) => seen.push(e.message) })).toBeUndefined();
    expect(seen).toEqual(["one", "two"]);
  });

  test("workerStatus: no heartbeat, fresh, stale, draining", async () => {
    const root = temp();
    let now = Date.parse("2026-11-23T00:00:00Z");
    const token = "k".repeat(64);
    const q = openQueue(cfg(root, { BRIDGE_TOKEN: token }), { now: () => now });
    expect(await q.workerStatus()).toMatchObject({
      alive: false,
      workers: [],
      startCommand: `BRIDGE_ROOT=${root} bridge worker`,
    });
    const W = "w-1-0000000a";
    const beat = (draining: boolean) =>
      signHeartbeat(
        {
          workerId: W,
          pid: 1,
          hostname: "h",
          version: "v",
          startedAt: "s",
          at: new Date(now).toISOString(),
          concurrency: 1,
          running: [],
          draining,
        },
        token,
      );
    const layout = ensureLayout({ root });
    // An unsigned heartbeat does not make a worker alive.
    writeFileSync(join(layout.workers, `${W}.json`), JSON.stringify({ ...beat(false), sig: undefined }));
    expect((await q.workerStatus()).alive).toBe(false);
    writeFileSync(join(layout.workers, `${W}.json`), JSON.stringify(beat(false)));
    expect((await q.workerStatus()).alive).toBe(true);
    now += 11_000;
    expect((await q.workerStatus()).alive).toBe(false);
    writeFileSync(join(layout.workers, `${W}.json`), JSON.stringify(beat(true)));
    expect(await q.workerStatus()).toMatchObject({ alive: false, workers: [{ draining: true }] });
  });

  test("queue directories are 0700 and a symlinked queue directory is refused", () => {
    const root = temp();
    const layout = ensureLayout({ root });
    expect(statSync(layout.incoming).mode & 0o777).toBe(0o700);
    const other = temp();
    const root2 = temp();
    symlinkSync(other, join(root2, "queue"));
    expect(() => ensureLayout({ root: root2 })).toThrow(/symlink/);
  });

  test("results are signed: forged results are ignored by readers with the token and replaced by the real one", async () => {
    const root = temp();
    const token = "k".repeat(64);
    const q = openQueue(cfg(root, { BRIDGE_TOKEN: token }));
    const job = await q.submit("script", { name: "s", args: [] });
    const layout = ensureLayout({ root });
    // Someone without the token plants a result for a real job.
    writeFileSync(
      join(layout.results, `${job.id}.json`),
      JSON.stringify({ id: job.id, kind: "script", state: "done", outcome: { stdout: "all good" }, finishedAt: "t" }),
    );
    expect((await q.get(job.id))?.state).toBe("queued");
    expect(await q.wait(job.id, { timeoutMs: 50 })).toBeUndefined();
    expect(readResult(layout, job.id)?.state).toBe("done"); // a reader without the token cannot tell
    // A signed copy with altered content is not authentic either.
    writeFileSync(
      join(layout.results, `${job.id}.json`),
      JSON.stringify({
        ...signResult({ id: job.id, kind: "script", state: "failed", outcome: 1, finishedAt: "t" }, token),
        outcome: 2,
      }),
    );
    expect(readResult(layout, job.id, token)).toBeUndefined();
    // The worker's real result replaces the forged one; a second real result does not.
    expect(
      writeResult(
        layout,
        { id: job.id, kind: "script", state: "failed", outcome: { exit_code: 1 }, finishedAt: "t" },
        token,
      ),
    ).toBe(true);
    expect(
      writeResult(layout, { id: job.id, kind: "script", state: "done", outcome: null, finishedAt: "t" }, token),
    ).toBe(false);
    expect(await q.wait(job.id, { timeoutMs: 50 })).toMatchObject({ state: "failed", outcome: { exit_code: 1 } });
    renameSync(join(layout.incoming, `${job.id}.json`), join(layout.jobs, `${job.id}.json`));
    expect(Object.keys((await q.get(job.id))!.result!)).not.toContain("sig");
  });

  test("createFileAtomic never replaces an existing file", () => {
    const root = temp();
    const layout = ensureLayout({ root });
    const dest = join(layout.results, "x.json");
    expect(createFileAtomic(layout.d.tmp, layout.d.results, "x.json", "1")).toBe(true);
    expect(createFileAtomic(layout.d.tmp, layout.d.results, "x.json", "2")).toBe(false);
    expect(readFileSync(dest, "utf8")).toBe("1");
    expect(readdirSync(layout.tmp)).toEqual([]);
  });
});
