/**
 * Tool lists on disk, keyed by a hash of the server's configuration, so a later bridge process can
 * search every server's tools without starting them. Entries are written atomically (temp + rename);
 * an unreadable entry is treated as missing.
 */
import { createHash } from "node:crypto";
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readRegularFile } from "../fs/read.ts";
import type { ToolDoc } from "./tool-docs.ts";
import type { ServerEntry } from "./types.ts";

const CACHE_VERSION = 1;
/** Largest cache entry read (a server's tool list with schemas; far above real ones). */
const MAX_ENTRY_BYTES = 16 * 1024 * 1024;

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
      // Non-blocking and capped: a FIFO or a huge file in the cache reads as a miss, never a hang.
      const text = readRegularFile(this.file(entry), { maxBytes: MAX_ENTRY_BYTES });
      if (text === undefined) return undefined;
      const data = JSON.parse(text);
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
      writeFileSync(tmp, JSON.stringify({ version: CACHE_VERSION, name: entry.name, savedAt: new Date().toISOString(), tools }), { mode: 0o600, flag: "wx" });
      renameSync(tmp, file);
      return undefined;
    } catch (err) {
      try { unlinkSync(tmp); } catch { /* never created, or renamed */ }
      return err as Error;
    }
  }
}
