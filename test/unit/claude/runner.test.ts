/** The runner against small fake `claude` scripts: stdin prompt, timeouts, process groups, cancel. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProgressEvent } from "../../../src/queue/types.ts";
import { runClaude } from "../../../src/worker/claude/runner.ts";

let dir: string;
const SID = "11111111-2222-4333-8444-555555555555";
const INIT = JSON.stringify({
  type: "system",
  subtype: "init",
  session_id: SID,
  model: "m",
  permissionMode: "default",
});
const RESULT = JSON.stringify({
  type: "result",
  subtype: "success",
  is_error: false,
  result: "ok",
  session_id: SID,
  num_turns: 1,
});

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/bash\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}
/** True while the process exists and is not a zombie waiting to be reaped. */
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 40 && alive(pid); i++) await Bun.sleep(50);
  return !alive(pid);
}
const pidsIn = (file: string): number[] => readFileSync(file, "utf8").trim().split(/\s+/).map(Number);
const base = () => ({
  args: ["-p"],
  cwd: dir,
  env: { PATH: process.env.PATH ?? "/usr/bin:/bin", OUT: dir },
  prompt: "",
  timeoutMs: 10_000,
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bridge-runner-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("runClaude", () => {
  test("the prompt goes to stdin (even `--help`), argv is untouched, stdin is closed", async () => {
    const bin = script(
      "echo-stdin",
      `cat > "$OUT/stdin.txt"; printf '%s\\n' "$@" > "$OUT/argv.txt"; echo '${INIT}'; echo '${RESULT}'`,
    );
    const events: ProgressEvent[] = [];
    const facts = await runClaude({ ...base(), bin, prompt: "--help", onProgress: (e) => events.push(e) });
    expect(readFileSync(join(dir, "stdin.txt"), "utf8")).toBe("--help");
    expect(readFileSync(join(dir, "argv.txt"), "utf8")).toBe("-p\n");
    expect(facts).toMatchObject({ exitCode: 0, timedOut: false, cancelled: false });
    expect(facts.stream.result?.result).toBe("ok");
    expect(events[0]!.message).toContain("Claude Code started");
  });

  test("timeout: SIGTERM to the whole group, background children included", async () => {
    const bin = script(
      "hang",
      `sleep 300 & echo $! > "$OUT/hang.pids"; echo '${INIT}'; sleep 301 & echo $! >> "$OUT/hang.pids"; wait`,
    );
    const facts = await runClaude({ ...base(), bin, timeoutMs: 700 });
    expect(facts.timedOut).toBe(true);
    expect(facts.signal).toBe("SIGTERM");
    expect(facts.stream.sessionId).toBe(SID);
    for (const pid of pidsIn(join(dir, "hang.pids"))) expect(await gone(pid)).toBe(true);
  });

  test("a CLI that ignores SIGTERM is SIGKILLed after the grace period", async () => {
    const bin = script("stubborn", `trap '' TERM; echo '${INIT}'; while true; do sleep 0.1; done`);
    const started = performance.now();
    const facts = await runClaude({ ...base(), bin, timeoutMs: 300, killGraceMs: 300 });
    expect(facts.timedOut).toBe(true);
    expect(facts.signal).toBe("SIGKILL");
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  test("abort signal cancels the run", async () => {
    const bin = script("slow", `echo '${INIT}'; sleep 300`);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const facts = await runClaude({ ...base(), bin, signal: ac.signal });
    expect(facts.cancelled).toBe(true);
    expect(facts.timedOut).toBe(false);
  });

  test("an already aborted signal never starts the CLI", async () => {
    const bin = script("marker", `touch "$OUT/started"`);
    const ac = new AbortController();
    ac.abort();
    const facts = await runClaude({ ...base(), bin, signal: ac.signal });
    expect(facts.cancelled).toBe(true);
    expect(existsSync(join(dir, "started"))).toBe(false);
  });

  test("leftover background processes are reaped when the CLI exits", async () => {
    const bin = script("leaver", `sleep 300 & echo $! > "$OUT/leaver.pids"; echo '${RESULT}'`);
    const facts = await runClaude({ ...base(), bin });
    expect(facts.exitCode).toBe(0);
    expect(await gone(pidsIn(join(dir, "leaver.pids"))[0]!)).toBe(true);
  });

  test("if the worker itself is SIGKILLed, the watchdog stops the CLI's process group", async () => {
    const bin = script(
      "orphan",
      `echo $$ > "$OUT/orphan.pid"; sleep 300 & echo $! >> "$OUT/orphan.pid"; echo '${INIT}'; wait`,
    );
    const driver = join(dir, "driver.ts");
    const runner = join(import.meta.dir, "../../../src/worker/claude/runner.ts");
    writeFileSync(
      driver,
      `import { runClaude } from ${JSON.stringify(runner)};\nawait runClaude({ bin: ${JSON.stringify(bin)}, args: [], cwd: ${JSON.stringify(dir)}, env: { PATH: process.env.PATH, OUT: ${JSON.stringify(dir)} }, prompt: "x", timeoutMs: 600000 });\n`,
    );
    const worker = Bun.spawn(["bun", driver], { stdout: "ignore", stderr: "ignore" });
    const pidFile = join(dir, "orphan.pid");
    for (
      let i = 0;
      i < 200 && !(existsSync(pidFile) && readFileSync(pidFile, "utf8").trim().split(/\s+/).length === 2);
      i++
    )
      await Bun.sleep(25);
    const pids = pidsIn(pidFile);
    expect(pids.every(alive)).toBe(true);
    worker.kill("SIGKILL");
    await worker.exited;
    for (const pid of pids) expect(await gone(pid)).toBe(true);
  });

  test("a CLI that printed its result but does not exit is stopped after a grace period, not timed out", async () => {
    const bin = script("lingers", `echo '${INIT}'; echo '${RESULT}'; sleep 300`);
    const facts = await runClaude({ ...base(), bin, timeoutMs: 5_000, resultExitGraceMs: 300 });
    expect(facts).toMatchObject({ stoppedAfterResult: true, timedOut: false, cancelled: false, signal: "SIGTERM" });
    expect(facts.stream.result?.result).toBe("ok");
  });

  test("a missing binary is a spawn error, not a crash", async () => {
    const facts = await runClaude({ ...base(), bin: join(dir, "no-such-claude") });
    expect(facts.spawnError?.code).toBe("ENOENT");
  });

  test("a CLI that exits without reading stdin does not break the runner (EPIPE)", async () => {
    const bin = script("early", `echo "Error: unknown option" >&2; exit 1`);
    const facts = await runClaude({ ...base(), bin, prompt: "x".repeat(1_000_000) });
    expect(facts.exitCode).toBe(1);
    expect(facts.stderrTail).toContain("unknown option");
  });
});
