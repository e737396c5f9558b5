/**
 * Tool lists on disk, keyed by a hash of the server's configuration, so a later bridge process can
 * search every server's tools without starting them. The last list seen for each server *name* is
 * kept too (`name-<hash>.json`): when a changed configuration cannot be listed in time, search falls
 * back to it and says the list may be stale. Entries are written atomically (temp + rename); an
 * unreadable entry is treated as missing.
 */
import { createHash } from "node:crypto";
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readRegularFile } from "../fs/read.ts";
import type { ToolDoc } from "./tool-docs.ts";
import type { ServerEntry } from "./types.ts";

/** 2: tool docs carry `execution` (task-only tools must be known before they are called). */
const CACHE_VERSION = 2;
/** Largest cache entry read (a server's tool list with schemas; far above real ones). */
const MAX_ENTRY_BYTES = 16 * 1024 * 1024;

/** A stable hash of everything that decides which process/endpoint a server entry talks to. */
export function serverConfigHash(entry: ServerEntry): string {
  const { name, transport, command, args, env, cwd, url, headers } = entry;
  const sorted = (o?: Record<string, string>) =>
    o ? Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))) : undefined;
  const material = JSON.stringify({
    v: CACHE_VERSION,
    name,
    transport,
    command,
    args,
    env: sorted(env),
    cwd,
    url,
    headers: sorted(headers),
  });
  return createHash("sha256").update(material).digest("hex").slice(0, 32);
}

/** A cached list and when it was saved (ISO 8601). */
export interface CachedTools {
  tools: ToolDoc[];
  savedAt: string;
}

export class ToolCache {
  constructor(private readonly dir: string) {}

  private file(entry: ServerEntry): string {
    return join(this.dir, `${serverConfigHash(entry)}.json`);
  }

  private nameFile(name: string): string {
    return join(this.dir, `name-${createHash("sha256").update(name).digest("hex").slice(0, 32)}.json`);
  }

  /** The cached tool list for this exact server configuration, or undefined. */
  read(entry: ServerEntry): ToolDoc[] | undefined {
    return this.load(this.file(entry), entry.name)?.tools;
  }

  /** The last list saved for a server of this name, whatever its configuration was then. */
  readLatest(name: string): CachedTools | undefined {
    return this.load(this.nameFile(name), name);
  }

  private load(file: string, name: string): CachedTools | undefined {
    try {
      // Non-blocking and capped: a FIFO or a huge file in the cache reads as a miss, never a hang.
      const text = readRegularFile(file, { maxBytes: MAX_ENTRY_BYTES });
      if (text === undefined) return undefined;
      const data = JSON.parse(text);
      if (data?.version !== CACHE_VERSION || data.name !== name || !Array.isArray(data.tools)) return undefined;
      return { tools: data.tools as ToolDoc[], savedAt: String(data.savedAt ?? "") };
    } catch {
      return undefined;
    }
  }

  /** Stores a tool list; failures are returned (not thrown) because the cache is only an optimisation. */
  write(entry: ServerEntry, tools: ToolDoc[]): Error | undefined {
    const body = JSON.stringify({ version: CACHE_VERSION, name: entry.name, savedAt: new Date().toISOString(), tools });
    return this.writeFile(this.file(entry), body) ?? this.writeFile(this.nameFile(entry.name), body);
  }

  private writeFile(file: string, body: string): Error | undefined {
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileSync(tmp, body, { mode: 0o600, flag: "wx" });
      renameSync(tmp, file);
      return undefined;
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        /* never created, or renamed */
      }
      return err as Error;
    }
  }
}
