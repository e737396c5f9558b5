/**
 * Attack (issue 8, medium 5): a FIFO named like a tool-cache entry (`<state>/tool-cache/<hash>.json`)
 * froze `serve` the first time sandboxed code asked for that server's tools (a blocking read on the
 * event loop). The cache must read it as a miss at once. The read runs in a child process, so a
 * blocking read fails this test by timeout instead of freezing the test runner.
 */
import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tempDir } from "../support/bridge.ts";

test("a FIFO as a tool-cache entry reads as a cache miss at once", () => {
  const dir = tempDir("bridge-sec-cache-");
  try {
    const src = resolve(import.meta.dir, "../../src/upstream/tool-cache.ts");
    const script = join(dir.path, "read-cache.ts");
    writeFileSync(
      script,
      `
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { serverConfigHash, ToolCache } from ${JSON.stringify(src)};
const dir = ${JSON.stringify(join(dir.path, "tool-cache"))};
mkdirSync(dir, { recursive: true });
const entry = { name: "everything", source: "/x", format: "claude-desktop", transport: "stdio", command: "npx", args: ["x"], status: "ok" };
Bun.spawnSync(["mkfifo", join(dir, serverConfigHash(entry as never) + ".json")]);
const started = Date.now();
const tools = new ToolCache(dir).read(entry as never);
process.stdout.write(JSON.stringify({ miss: tools === undefined, ms: Date.now() - started }));
`,
    );
    const r = Bun.spawnSync([process.execPath, script], { stdout: "pipe", stderr: "pipe", timeout: 10_000 });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout.toString())).toMatchObject({ miss: true });
  } finally {
    dir.cleanup();
  }
}, 30_000);
