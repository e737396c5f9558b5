/**
 * A bounded log of an upstream server's stderr: appended to `<dir>/<name>.log`, rotated to
 * `<name>.log.1` when it passes half the cap (so both together stay under `maxBytes`), with the last
 * lines kept in memory for error messages ("last stderr lines: …").
 */
import { createHash } from "node:crypto";
import { appendFileSync, mkdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";

/** Default cap for a server's stderr on disk (current + rotated file). */
export const DEFAULT_STDERR_CAP = 1024 * 1024;
const TAIL_LINES = 20;
const MAX_LINE = 500;

/** A log file name for a server: its name when that is a safe file name, else a sanitised name + hash. */
export function fileStem(name: string): string {
  const safe =
    name
      .replace(/[^A-Za-z0-9_.-]/g, "_")
      .replace(/^\.+/, "_")
      .slice(0, 100) || "server";
  return safe === name ? safe : `${safe}-${createHash("sha256").update(name).digest("hex").slice(0, 8)}`;
}

export class BoundedLog {
  readonly path: string;
  private size: number;
  private readonly tail: string[] = [];
  private partial = "";
  private broken = false;

  constructor(
    dir: string,
    fileStem: string,
    private readonly maxBytes = DEFAULT_STDERR_CAP,
    private readonly warn: (msg: string) => void = () => {},
  ) {
    this.path = join(dir, `${fileStem}.log`);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      this.size = statSync(this.path, { throwIfNoEntry: false })?.size ?? 0;
    } catch (err) {
      this.size = 0;
      this.fail(err);
    }
  }

  /** Appends a chunk of stderr output. Never throws: a full disk must not break the server. */
  write(chunk: Buffer | string): void {
    const text = typeof chunk === "string" ? chunk : chunk.toString("utf8");
    this.remember(text);
    if (this.broken) return;
    try {
      const bytes = Buffer.byteLength(text);
      if (this.size + bytes > this.maxBytes / 2 && this.size > 0) {
        renameSync(this.path, `${this.path}.1`);
        this.size = 0;
      }
      // A single chunk larger than the cap keeps only its end.
      const data = bytes > this.maxBytes / 2 ? Buffer.from(text).subarray(bytes - Math.floor(this.maxBytes / 2)) : text;
      appendFileSync(this.path, data, { mode: 0o600 });
      this.size += typeof data === "string" ? bytes : data.length;
    } catch (err) {
      this.fail(err);
    }
  }

  /** Marks a boundary (server restarted) in the file and the in-memory tail. */
  mark(line: string): void {
    this.write(`--- ${new Date().toISOString()} ${line}\n`);
  }

  /** The last stderr lines (complete ones, plus an unfinished one), oldest first. */
  lastLines(n = 5): string[] {
    const lines = this.partial ? [...this.tail, this.partial] : [...this.tail];
    return lines.filter((l) => !l.startsWith("--- ")).slice(-n);
  }

  private remember(text: string): void {
    const parts = (this.partial + text).split(/\r?\n/);
    this.partial = (parts.pop() ?? "").slice(-MAX_LINE);
    for (const line of parts) {
      if (!line.trim()) continue;
      this.tail.push(line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line);
      if (this.tail.length > TAIL_LINES) this.tail.shift();
    }
  }

  private fail(err: unknown): void {
    this.broken = true;
    this.warn(`cannot write server log ${this.path}: ${(err as Error).message}; stderr is kept in memory only`);
  }
}
