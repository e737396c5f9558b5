/**
 * Attack (issue 8, high 2): a queue subdirectory is renamed away after the worker started and
 * replaced by a symlink to someone's files. The worker must notice (dev/ino recorded at start,
 * lstat before every scan, claim, write and GC), refuse and journal it — and GC removes only
 * regular files whose names have bridge's own shapes, so even a missed swap could not empty a
 * directory of the user's documents.
 */
import { afterEach, describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureLayout } from "../../src/queue/layout.ts";
import { collectGarbage } from "../../src/worker/recovery.ts";
import { deadPid, journalEntries } from "../support/queue-attack.ts";
import { queueRoot, until, type QueueRoot } from "../support/queue-worker.ts";

const SECRET = "s".repeat(64);
let q: QueueRoot | undefined;
let dirs: string[] = [];
afterEach(async () => {
  await q?.cleanup();
  q = undefined;
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
const HOURS_AGO = (h: number) => (Date.now() - h * 3_600_000) / 1000;
/** GC's clock, two days ahead: ctime cannot be set back, so "old" files are made by moving time on. */
const LATER = () => Date.now() + 48 * 3_600_000;
/** A directory of the user's that an attacker points a queue directory at. */
function victim(files: string[]): string {
  const dir = temp("bridge-victim-");
  for (const f of files) {
    writeFileSync(join(dir, f), `precious ${f}`);
    utimesSync(join(dir, f), HOURS_AGO(48), HOURS_AGO(48));
  }
  return dir;
}

describe("queue directories are re-verified before every use", () => {
  test("incoming/ and a running/<worker> directory swapped for links to the user's files: the worker moves nothing out and journals it", async () => {
    q = await queueRoot();
    const w = q.startWorker();
    await w.ready();
    const docs = victim(["thesis.docx", "notes.txt", "c-00000000a-0123456789abcdef.json"]);
    const incoming = join(q.root, "queue", "incoming");
    renameSync(incoming, `${incoming}.moved`);
    symlinkSync(docs, incoming);
    // A "dead worker's" running directory that is a link into the same documents.
    symlinkSync(docs, join(q.root, "queue", "running", `w-${deadPid()}-0000dead`));
    await Bun.sleep(7_000); // several scans (500 ms) and at least one recovery pass (5 s)
    expect(readdirSync(docs).sort()).toEqual(["c-00000000a-0123456789abcdef.json", "notes.txt", "thesis.docx"]);
    expect(readdirSync(join(q.root, "queue", "rejected"))).toEqual([]);
    expect(readdirSync(join(q.root, "queue", "jobs"))).toEqual([]);
    await until(
      () => journalEntries(q!.root).find((e) => e.event === "queue-tampered"),
      5_000,
      "a queue-tampered journal entry",
    );
    expect(w.stderr()).toContain("was replaced");
  }, 60_000);

  test("GC in a tmp/ swapped for a link after start deletes none of the linked files", () => {
    const root = temp("bridge-gc-swap-");
    const layout = ensureLayout({ root });
    const docs = victim(["tax-2025.pdf", "scan.json.1234.deadbeef.tmp"]);
    renameSync(layout.tmp, `${layout.tmp}.moved`);
    symlinkSync(docs, layout.tmp);
    const events: Array<Record<string, unknown>> = [];
    layout.setTamperHandler?.((path: string, why: string) => events.push({ path, why }));
    try {
      collectGarbage({
        layout,
        journal: (e: Record<string, unknown>) => void events.push(e),
        now: LATER,
        selfId: "w-1-00000000",
        secret: SECRET,
        retentionMs: 3_600_000,
        maxAgeMs: 3_600_000,
      } as never);
    } catch {
      /* refused: what matters is what is left */
    }
    expect(readdirSync(docs).sort()).toEqual(["scan.json.1234.deadbeef.tmp", "tax-2025.pdf"]);
    expect(events.some((e) => String(e.why ?? "").includes("symlink"))).toBe(true);
  });

  test("GC removes only regular files with bridge's own names, past their age", () => {
    const root = temp("bridge-gc-shapes-");
    const layout = ensureLayout({ root });
    const old = (p: string, h = 24 * 30) => utimesSync(p, HOURS_AGO(h), HOURS_AGO(h));
    const foreign = [
      join(layout.tmp, "report.docx"),
      join(layout.rejected, "photo.jpg"),
      join(layout.seen, "keep-me"),
      join(layout.cancel, "letter.txt"),
      join(layout.progress, "diary.md"),
    ];
    for (const f of foreign) {
      writeFileSync(f, "mine");
      old(f);
    }
    mkdirSync(join(layout.rejected, "album"));
    const stale = join(layout.tmp, "c-00000000a-0123456789abcdef.json.4242.0123abcd.tmp");
    writeFileSync(stale, "{}");
    old(stale, 2);
    collectGarbage({
      layout,
      journal: () => {},
      now: LATER,
      selfId: "w-1-00000000",
      secret: SECRET,
      retentionMs: 3_600_000,
      maxAgeMs: 3_600_000,
    } as never);
    for (const f of foreign) expect(existsSync(f)).toBe(true);
    expect(existsSync(join(layout.rejected, "album"))).toBe(true);
    expect(existsSync(stale)).toBe(false);
  });
});
