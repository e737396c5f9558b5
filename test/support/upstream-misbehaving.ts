/**
 * Misbehaving upstream MCP servers for tests: an HTTP endpoint that accepts connections and never
 * answers, a stdio command that never speaks MCP, a `sh -c` wrapper whose grandchild would outlive a
 * plain kill, a server that is slow to start, stdio and HTTP servers that flood one endless
 * message, and process-tree helpers to prove nothing survives.
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

/**
 * A streamable HTTP MCP server with one tool, `flood`, whose answer is an endless message: an
 * `application/json` body that never ends, or (`sse`) one SSE event whose `data:` lines never end
 * in a blank line. `sent()` is how many bytes of floods it has handed to the socket so far.
 */
export function floodingHttpServer(kind: "json" | "sse"): { url: string; sent: () => number; stop: () => void } {
  let sent = 0;
  const piece = new TextEncoder().encode(kind === "sse" ? `data: ${"x".repeat(16_000)}\n` : "x".repeat(16_384));
  const endless = (first: string) => {
    let head: Uint8Array | undefined = new TextEncoder().encode(first);
    return new ReadableStream({
      pull(c) {
        c.enqueue(head ?? piece);
        sent += head ? 0 : piece.length;
        head = undefined;
      },
    });
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      if (req.method !== "POST") return new Response(null, { status: 405 });
      const msg = (await req.json()) as { id?: number; method: string; params?: { protocolVersion?: string } };
      if (msg.id === undefined) return new Response(null, { status: 202 });
      const answer = (result: unknown) => Response.json({ jsonrpc: "2.0", id: msg.id, result });
      if (msg.method === "initialize")
        return answer({
          protocolVersion: msg.params?.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: "flood", version: "1.0.0" },
        });
      if (msg.method === "tools/list")
        return answer({ tools: [{ name: "flood", inputSchema: { type: "object", properties: {} } }] });
      const first = `{"jsonrpc":"2.0","id":${msg.id},"result":{"content":[{"type":"text","text":"`;
      if (kind === "sse")
        return new Response(endless(`id: 1\ndata: ${first}\n`), { headers: { "content-type": "text/event-stream" } });
      return new Response(endless(first), { headers: { "content-type": "application/json" } });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/mcp`, sent: () => sent, stop: () => server.stop(true) };
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

/**
 * A stdio "server" that writes an endless line to stdout (`x` bytes, never a newline) and never
 * speaks MCP; `marker` is the shell's `$0`, so `wrapperTree(marker)` finds it and its pipeline.
 */
export function floodingServer(marker: string) {
  return { command: "/bin/sh", args: ["-c", "tr '\\0' x < /dev/zero & wait", marker] };
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
