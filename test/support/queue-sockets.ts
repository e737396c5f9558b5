/**
 * Finds listening sockets owned by a process (Linux): the socket inodes in /proc/<pid>/fd matched
 * against /proc/<pid>/net/{tcp,tcp6,udp,udp6,unix}. TCP in LISTEN, any bound UDP socket, and unix
 * sockets with the listening flag count.
 */
import { readFileSync, readdirSync, readlinkSync } from "node:fs";

function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]!);
    } catch {
      /* fd closed meanwhile */
    }
  }
  return out;
}

function table(pid: number, name: string): string[][] {
  try {
    return readFileSync(`/proc/${pid}/net/${name}`, "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.trim().split(/\s+/));
  } catch {
    return [];
  }
}

/** Descriptions of the listening sockets `pid` holds (empty when none). */
export function listeningSockets(pid: number): string[] {
  const inodes = socketInodes(pid);
  const found: string[] = [];
  for (const proto of ["tcp", "tcp6"]) {
    for (const row of table(pid, proto)) if (row[3] === "0A" && inodes.has(row[9]!)) found.push(`${proto} ${row[1]}`);
  }
  for (const proto of ["udp", "udp6"]) {
    for (const row of table(pid, proto)) if (inodes.has(row[9]!)) found.push(`${proto} ${row[1]}`);
  }
  for (const row of table(pid, "unix")) {
    // Flags 00010000 = __SO_ACCEPTCON (listening).
    if ((parseInt(row[3]!, 16) & 0x10000) !== 0 && inodes.has(row[6]!)) found.push(`unix ${row[7] ?? "(unnamed)"}`);
  }
  return found;
}

/** How many sockets of any kind the process holds (to show the check saw something). */
export function socketCount(pid: number): number {
  return socketInodes(pid).size;
}
