/**
 * Helpers for attack tests on the file queue: what a writer of the shared folder without the token
 * can do — plant files and directories, forge heartbeats of dead or live pids — and reading what
 * the worker journaled about it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

/** A pid no process has on this machine right now. */
export function deadPid(): number {
  for (let pid = 3_999_999; pid > 1000; pid -= 7) {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") return pid;
    }
  }
  throw new Error("no free pid found");
}

/** A heartbeat as the worker writes it, but unsigned (the attacker has no token); `running` lists jobs it claims to run. */
export function forgedHeartbeat(
  root: string,
  workerId: string,
  pid: number,
  at = new Date(),
  running: string[] = [],
): void {
  const beat = {
    workerId,
    pid,
    hostname: hostname(),
    version: "0.1.0",
    startedAt: at.toISOString(),
    at: at.toISOString(),
    concurrency: 2,
    running,
    draining: false,
  };
  writeFileSync(join(root, "queue", "workers", `${workerId}.json`), JSON.stringify(beat));
}

/** Creates `queue/running/<workerId>/` with the given files (name → text). */
export function plantRunningDir(root: string, workerId: string, files: Record<string, string>): string {
  const dir = join(root, "queue", "running", workerId);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** The journal's entries (parsed), oldest first. */
export function journalEntries(root: string): Array<Record<string, unknown>> {
  const path = join(root, "queue", "journal.jsonl");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return {};
      }
    });
}
