/**
 * Runs a program with a pseudo-terminal as its stdin (as when a person types `bridge serve` in a
 * terminal) and its stdout and stderr in separate files, so a test can tell which stream a message
 * went to. The pty comes from util-linux `script` (Debian: bsdutils, priority required).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./bridge.ts";

/** True when `script` is util-linux's (the -q -e -c options used here). */
export const hasScript = (() => {
  const r = Bun.spawnSync(["script", "--version"], { stdout: "pipe", stderr: "pipe" });
  return r.exitCode === 0 && r.stdout.toString().includes("util-linux");
})();

export interface TtyResult {
  /** Exit code, or null when the program was still running at the timeout and was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs argv with a terminal on stdin; kills it after `timeoutMs`. */
export async function runWithTtyStdin(
  argv: string[],
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<TtyResult> {
  const dir = tempDir("bridge-tty-");
  try {
    const [out, err, code] = ["out", "err", "code"].map((f) => join(dir.path, f));
    const inner = `${argv.map(quote).join(" ")} >${quote(out!)} 2>${quote(err!)}; echo $? >${quote(code!)}`;
    const p = Bun.spawn(["script", "-q", "-e", "-c", inner, "/dev/null"], {
      env,
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
    const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    await p.exited;
    clearTimeout(timer);
    const read = (f: string) => {
      try {
        return readFileSync(f, "utf8");
      } catch {
        return "";
      }
    };
    const status = read(code!).trim();
    return { code: status ? Number(status) : null, stdout: read(out!), stderr: read(err!) };
  } finally {
    dir.cleanup();
  }
}
