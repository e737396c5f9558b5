/**
 * Attack (issue 8, low): host paths in error texts. `escalate_to_claude(cwd=…)` answered "does not
 * exist" for a missing path and "outside the allowed roots (it resolves to …)" for an existing one,
 * so a model could probe which files exist on the host and where symlinks lead. Refusals of paths
 * outside the roots must not depend on what is on disk. Real `dist/bridge worker` and `serve`.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { startBridge, type RunningBridge } from "../support/bridge.ts";
import { queueRoot, type QueueRoot } from "../support/queue-worker.ts";

let q: QueueRoot;
let serve: RunningBridge;
let repo: string;
beforeAll(async () => {
  q = await queueRoot();
  repo = join(q.root, "repo");
  mkdirSync(join(q.root, "secret-project"), { recursive: true });
  mkdirSync(repo);
  symlinkSync(join(q.root, "secret-project"), join(repo, "link"));
  await q.startWorker(["--allow-root", repo]).ready();
  serve = await startBridge({ env: { ...q.env, BRIDGE_CLAUDE_BIN: "/nonexistent/claude" } });
});
afterAll(async () => {
  await serve?.close().catch(() => {});
  await q?.cleanup();
});

/** The refusal for `cwd`, with the path the caller gave replaced by <cwd>. */
async function refusal(cwd: string): Promise<string> {
  const r = await serve.client.callTool(
    { name: "escalate_to_claude", arguments: { request: "x", cwd, wait_seconds: 20 } },
    undefined,
    { timeout: 60_000 },
  );
  const s = r.structuredContent as {
    outcome: { classification: string } | null;
    error: { message: string; hint?: string } | null;
  };
  expect(s.outcome?.classification).toBe("refused");
  return JSON.stringify(s.error).replaceAll(cwd, "<cwd>");
}

test("outside the allow-roots, an existing and a missing path get the same answer", async () => {
  expect(await refusal("/etc")).toBe(await refusal("/etc-does-not-exist-4242"));
  expect(await refusal(join(q.root, "secret-project"))).toBe(await refusal(join(q.root, "no-such-project")));
}, 60_000);

test("a link inside a root that leads out is refused without saying where it leads", async () => {
  const text = await refusal(join(repo, "link"));
  expect(text).not.toContain("secret-project");
  expect(text).toBe(await refusal(join(repo, "link-to-nowhere").replace("link-to-nowhere", "../outside-and-missing")));
}, 60_000);
