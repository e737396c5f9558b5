import { afterEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { newJobId } from "../../../src/queue/ids.ts";
import { ensureLayout } from "../../../src/queue/layout.ts";
import { signHeartbeat } from "../../../src/queue/store.ts";
import { Claimer, cwdKeyOf } from "../../../src/worker/claimer.ts";

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
function setup() {
  const root = mkdtempSync(join(tmpdir(), "bridge-unit-claim-"));
  dirs.push(root);
  const layout = ensureLayout({ root });
  const events: Record<string, unknown>[] = [];
  const secret = "s".repeat(64);
  const make = (name: string) => {
    const id = `w-${process.pid}-0000000${name.slice(-1)}`;
    mkdirSync(join(layout.running, id));
    writeFileSync(
      join(layout.workers, `${id}.json`),
      JSON.stringify(
        signHeartbeat(
          {
            workerId: id,
            pid: process.pid,
            hostname: hostname(),
            version: "v",
            startedAt: "s",
            at: new Date().toISOString(),
            concurrency: 1,
            running: [],
            draining: false,
          },
          secret,
        ),
      ),
    );
    return new Claimer({ layout, secret, now: Date.now }, layout.d.running.child(id), id, (e) => void events.push(e));
  };
  return { layout, events, make };
}

test("racing claimers: every job is claimed exactly once, in FIFO order per claimer", () => {
  const { layout, make } = setup();
  const ids = Array.from({ length: 50 }, (_, i) => newJobId("script", 1_700_000_000_000 + i));
  for (const id of ids) writeFileSync(join(layout.incoming, `${id}.json`), "{}");
  const a = make("w-a");
  const b = make("w-b");
  const got: string[] = [];
  for (let round = 0; round < 40; round++) {
    for (const c of [a, b]) {
      const r = c.claim(2, new Set());
      const mine = r.claimed.map((j) => j.id);
      expect([...mine].sort()).toEqual(mine);
      got.push(...mine);
    }
  }
  expect(got.sort()).toEqual([...ids].sort());
  expect(readdirSync(layout.incoming)).toEqual([]);
});

test("claude jobs: one per working directory; others wait; bad names are quarantined and journaled", () => {
  const { layout, events, make } = setup();
  const c1 = newJobId("claude", 1_700_000_000_000);
  const c2 = newJobId("claude", 1_700_000_000_001);
  const c3 = newJobId("claude", 1_700_000_000_002);
  writeFileSync(join(layout.incoming, `${c1}.json`), JSON.stringify({ body: { request: "a", cwd: "/repo" } }));
  writeFileSync(join(layout.incoming, `${c2}.json`), JSON.stringify({ body: { request: "b", cwd: "/repo/" } }));
  writeFileSync(join(layout.incoming, `${c3}.json`), JSON.stringify({ body: { request: "c", cwd: "/other" } }));
  writeFileSync(join(layout.incoming, "junk;rm -rf.json"), "{}");
  const a = make("w-a");
  const b = make("w-b");
  const first = a.claim(5, new Set());
  expect(first.claimed.map((j) => j.id)).toEqual([c1, c3]);
  expect(first.claimed[0]!.cwdKey).toBe("/repo");
  expect(first.left).toBe(1);
  expect(b.claim(5, new Set()).claimed).toEqual([]); // /repo is locked by w-a
  expect(events.filter((e) => e.event === "rejected").length).toBe(1);
  expect(readdirSync(layout.rejected).length).toBe(1);
  expect(cwdKeyOf("script", { cwd: "/x" })).toBeUndefined();
});

test("a new file is picked up once the listing is marked stale", () => {
  const { layout, make } = setup();
  const a = make("w-a");
  const j1 = newJobId("script");
  writeFileSync(join(layout.incoming, `${j1}.json`), "{}");
  expect(a.claim(0, new Set())).toMatchObject({ claimed: [], left: 1, fresh: true });
  const j2 = newJobId("script");
  writeFileSync(join(layout.incoming, `${j2}.json`), "{}");
  expect(a.claim(5, new Set()).claimed.map((j) => j.id)).toEqual([j1]);
  a.markStale();
  expect(a.claim(5, new Set()).claimed.map((j) => j.id)).toEqual([j2]);
});
