/** Test MCP server configs for the proxy/memory e2e tests: real npm servers in a temp HOME. */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

import type { ServerEntry } from "../../src/upstream/types.ts";

/** Absolute path of an npm package's binary in the repo's node_modules (the real MCP servers). */
export const bin = (name: string) => resolve(import.meta.dir, "../../node_modules/.bin", name);

/** A usable (status ok) stdio server entry, as discovery would produce it from a user's `.mcp.json`. */
export const stdioEntry = (name: string, command: string, args: string[] = []): ServerEntry => ({
  name,
  source: "/test/.mcp.json",
  format: "claude-code",
  scope: "user",
  transport: "stdio",
  command,
  args,
  status: "ok",
});

/** Writes an `mcpServers` config file for the three real servers (+ `extra` dummies) and returns its path. */
export function writeServersConfig(dir: string, opts: { filesRoot: string; extra?: number; only?: string[] }): string {
  const all: Record<string, unknown> = {
    everything: { command: bin("mcp-server-everything"), args: ["stdio"] },
    files: { command: bin("mcp-server-filesystem"), args: [opts.filesRoot] },
    "knowledge-graph": { command: bin("mcp-server-memory"), env: { MEMORY_FILE_PATH: join(dir, "graph.jsonl") } },
  };
  const servers: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) if (!opts.only || opts.only.includes(k)) servers[k] = v;
  for (let i = 0; i < (opts.extra ?? 0); i++)
    servers[`dummy-${i}`] = { command: bin("mcp-server-everything"), args: ["stdio"] };
  const file = join(dir, "mcp-servers.json");
  writeFileSync(file, JSON.stringify({ mcpServers: servers }, null, 2));
  return file;
}

/** Direct children of a pid whose command line contains `needle`, from /proc. */
export function childProcesses(pid: number, needle: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== pid) continue;
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmd.includes(needle)) out.push(Number(entry));
    } catch {}
  }
  return out;
}
