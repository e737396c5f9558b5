/**
 * Misbehaving upstream MCP servers for tests: an HTTP endpoint that accepts connections and never
 * answers, a stdio command that never speaks MCP, a `sh -c` wrapper whose grandchild would outlive a
 * plain kill, a server that is slow to start, and process-tree helpers to prove nothing survives.
 */
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

/** A loopback TCP server that accepts connections and never answers: a hung HTTP MCP server. */
export function hungHttpServer(): { url: string; connections: () => number; stop: () => void } {
  let count = 0;
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open() {
        count++;
      },
      data() {},
    },
  });
  return { url: `http://127.0.0.1:${server.port}/mcp`, connections: () => count, stop: () => server.stop(true) };
}

/** A stdio "server" that never answers initialize. */
export const HUNG_STDIO = { command: "/bin/sleep", args: ["600"] };

/**
 * A `sh -c` wrapper that never answers, with two children of its own (grandchildren of bridge);
 * `marker` is the shell's `$0`, so `wrapperTree(marker)` finds the shell and everything under it.
 */
export function hungShellWrapper(marker: string) {
  return { command: "/bin/sh", args: ["-c", "sleep 601 & sleep 602; wait", marker] };
}

/** The wrapper shell started with `marker` and all its descendants. */
export function wrapperTree(marker: string): number[] {
  return processesMatching(marker).flatMap((pid) => [pid, ...descendants(pid)]);
}

/** A real stdio server (test/support/upstream-dynamic-server.ts) that starts only after `delayMs`. */
export function slowStartingServer(delayMs: number) {
  const script = resolve(import.meta.dir, "upstream-dynamic-server.ts");
  return { command: "/bin/sh", args: ["-c", `sleep ${delayMs / 1000}; exec "${process.execPath}" "${script}"`] };
}

/** The task-only test server (test/support/upstream-task-server.ts) as a stdio command. */
export const TASK_SERVER = { command: process.execPath, args: [resolve(import.meta.dir, "upstream-task-server.ts")] };

/** Pids whose command line contains `needle` (any parent), from /proc. */
export function processesMatching(needle: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      if (cmd.includes(needle) && Number(entry) !== process.pid) out.push(Number(entry));
    } catch {}
  }
  return out;
}

/** Every live descendant of `pid` (children, grandchildren, …), from /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z") continue;
      const ppid = Number(fields[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {}
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** True while a pid exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}
