/** The idempotency store: scoped, signed, expiring records; repeats reuse, other arguments fail, forgeries are ignored. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/index.ts";
import { openQueue } from "../../../src/queue/client.ts";
import { keyFileName, keysDir } from "../../../src/queue/idempotency.ts";
import { ensureLayout } from "../../../src/queue/layout.ts";
import { collectGarbage } from "../../../src/worker/gc.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const TOKEN = "t".repeat(64);
function setup(retention = "1h") {
  const root = mkdtempSync(join(tmpdir(), "bridge-idem-"));
  dirs.push(root);
  let now = Date.parse("2026-11-23T00:00:00Z");
  const config = loadConfig({
    env: { BRIDGE_ROOT: root, BRIDGE_TOKEN: TOKEN, BRIDGE_JOB_RETENTION: retention },
    readFile: () => undefined,
  });
  const q = openQueue(config, { now: () => now });
  return {
    root,
    q,
    layout: ensureLayout({ root }),
    advance: (ms: number) => {
      now += ms;
    },
    incoming: () => readdirSync(join(root, "queue", "incoming")),
  };
}
const body = { name: "deploy", args: ["prod"] };

describe("idempotency keys", () => {
  test("a repeated key returns the first job and submits nothing", async () => {
    const s = setup();
    const first = await s.q.submitOnce("script", body, "k1");
    expect(first.reused).toBe(false);
    const again = await s.q.submitOnce("script", { ...body }, "k1");
    expect(again).toEqual({ id: first.id, reused: true });
    expect(await s.q.findKey("script", body, "k1")).toBe(first.id);
    expect(s.incoming()).toEqual([`${first.id}.json`]);
  });

  test("the same key with other arguments is an error naming the first job, and runs nothing", async () => {
    const s = setup();
    const first = await s.q.submitOnce("script", body, "k1");
    await expect(s.q.submitOnce("script", { name: "deploy", args: ["staging"] }, "k1")).rejects.toThrow(
      `for job ${first.id} with different arguments`,
    );
    await expect(s.q.findKey("script", { name: "deploy", args: ["staging"] }, "k1")).rejects.toThrow(
      "different arguments",
    );
    expect(s.incoming()).toHaveLength(1);
  });

  test("scoped per kind (tool): the same key for a claude job is a different key", async () => {
    const s = setup();
    const a = await s.q.submitOnce("script", body, "shared");
    const b = await s.q.submitOnce("claude", { request: "hi" }, "shared");
    expect(b.reused).toBe(false);
    expect(b.id).not.toBe(a.id);
  });

  test("keys expire with the job retention; GC removes old records", async () => {
    const s = setup("1h");
    const first = await s.q.submitOnce("script", body, "k1");
    s.advance(3_600_001);
    const later = await s.q.submitOnce("script", body, "k1");
    expect(later.reused).toBe(false);
    expect(later.id).not.toBe(first.id);
    const dir = keysDir(s.layout);
    const [file] = readdirSync(dir);
    // GC judges age by the file's mtime/ctime (whichever is later), so the clock moves, not the file.
    const gc = (later: number) =>
      collectGarbage({
        layout: s.layout,
        journal: () => {},
        now: () => Date.now() + later,
        secret: TOKEN,
        retentionMs: 3_600_000,
        maxAgeMs: 3_600_000,
      });
    // Within the retention a record stays; a file not named like a record is never touched.
    writeFileSync(join(dir, "notes.txt"), "mine");
    expect(gc(0)).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([file!, "notes.txt"].sort());
    expect(gc(7_200_000)).toBe(1);
    expect(readdirSync(dir)).toEqual(["notes.txt"]);
  });

  test("hostile co-writer without the token: record names do not reveal the key; a planted or forged record is ignored and replaced", async () => {
    const s = setup();
    const name = keyFileName(TOKEN, "script", "k1");
    expect(name).not.toContain("k1");
    expect(keyFileName("other-token-".padEnd(64, "x"), "script", "k1")).not.toBe(name);
    // A planted record pointing at another job, signed with the wrong secret.
    writeFileSync(
      join(keysDir(s.layout), name),
      JSON.stringify({
        kind: "script",
        job_id: "s-0mwsl6vxv-dfb50ee2f4e90fce",
        args: "x",
        createdAt: "2026-11-23T00:00:00.000Z",
        sig: "00".repeat(32),
      }),
    );
    expect(await s.q.findKey("script", body, "k1")).toBeUndefined();
    const r = await s.q.submitOnce("script", body, "k1");
    expect(r.reused).toBe(false);
    expect(r.id).not.toBe("s-0mwsl6vxv-dfb50ee2f4e90fce");
    expect((await s.q.submitOnce("script", body, "k1")).id).toBe(r.id);
    // A genuine record copied under another key's name is not that key's record.
    writeFileSync(
      join(keysDir(s.layout), keyFileName(TOKEN, "script", "k2")),
      readFileSync(join(keysDir(s.layout), name)),
    );
    expect(await s.q.findKey("script", body, "k2")).toBeUndefined();
    const k2 = await s.q.submitOnce("script", body, "k2");
    expect(k2.reused).toBe(false);
    expect(k2.id).not.toBe(r.id);
  });

  test("concurrent calls with one key: exactly one job", async () => {
    const s = setup();
    const all = await Promise.all(Array.from({ length: 8 }, () => s.q.submitOnce("script", body, "race")));
    expect(new Set(all.map((r) => r.id)).size).toBe(1);
    expect(all.filter((r) => !r.reused)).toHaveLength(1);
    expect(s.incoming()).toHaveLength(1);
  });

  test("a bad key is a usage error", async () => {
    const s = setup();
    await expect(s.q.submitOnce("script", body, "")).rejects.toThrow("idempotency_key must be");
    await expect(s.q.submitOnce("script", body, "x".repeat(201))).rejects.toThrow("idempotency_key must be");
  });
});
