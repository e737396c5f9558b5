/**
 * Tool lists on disk, keyed by a hash of the server's configuration, so a later bridge process can
 * search every server's tools without starting them. Entries are written atomically (temp + rename);
 * an unreadable entry is treated as missing.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ToolDoc } from "./tool-docs.ts";
import type { ServerEntry } from "./types.ts";

const CACHE_VERSION = 1;

/** A stable hash of everything that decides which process/endpoint a server entry talks to. */
export function serverConfigHash(entry: ServerEntry): string {
  const { name, transport, command, args, env, cwd, url, headers } = entry;
  const sorted = (o?: Record<string, string>) => (o ? Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))) : undefined);
  const material = JSON.stringify({ v: CACHE_VERSION, name, transport, command, args, env: sorted(env), cwd, url, headers: sorted(headers) });
  return createHash("sha256").update(material).digest("hex").slice(0, 32);
}

export class ToolCache {
  constructor(private readonly dir: string) {}

  private file(entry: ServerEntry): string {
    return join(this.dir, `${serverConfigHash(entry)}.json`);
  }

  /** The cached tool list for this exact server configuration, or undefined. */
  read(entry: ServerEntry): ToolDoc[] | undefined {
    try {
      const data = JSON.parse(readFileSync(this.file(entry), "utf8"));
      if (data?.version !== CACHE_VERSION || data.name !== entry.name || !Array.isArray(data.tools)) return undefined;
      return data.tools as ToolDoc[];
    } catch {
      return undefined;
    }
  }

  /** Stores a tool list; failures are returned (not thrown) because the cache is only an optimisation. */
  write(entry: ServerEntry, tools: ToolDoc[]): Error | undefined {
    const file = this.file(entry);
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileSync(tmp, JSON.stringify({ version: CACHE_VERSION, name: entry.name, savedAt: new Date().toISOString(), tools }), { mode: 0o600 });
      renameSync(tmp, file);
      return undefined;
    } catch (err) {
      return err as Error;
    }
  }
}
