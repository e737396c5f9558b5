/**
 * File primitives the queue is built on: private directories (0700, never symlinks), atomic
 * writes (temp file, fsync, rename or no-replace link, fsync of the directory), reads that refuse
 * symlinks, and journal appends. Synchronous on purpose: each call is short, and ordering is simple.
 */
import { closeSync, constants, fstatSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readSync, renameSync, unlinkSync, writeSync, chmodSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, join } from "node:path";
import { BridgeError } from "../errors.ts";

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW, O_DIRECTORY } = constants;

/** Creates `path` (0700) if missing; refuses a symlink or non-directory; tightens a looser mode. */
export function ensurePrivateDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const st = lstatSync(path);
  if (st.isSymbolicLink()) throw new BridgeError("QUEUE_FAILED", `${path} is a symlink; bridge refuses to use linked queue directories.`, { hint: "Replace the link with a real directory." });
  if (!st.isDirectory()) throw new BridgeError("QUEUE_FAILED", `${path} is not a directory.`, { hint: "Move the file away so bridge can create the directory." });
  if ((st.mode & 0o077) !== 0 && (!process.getuid || st.uid === process.getuid())) chmodSync(path, 0o700);
}

/** fsync a directory so a rename or link in it survives a crash. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, O_RDONLY | O_DIRECTORY);
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

function writeTemp(tmpDir: string, name: string, data: string, sync = true): string {
  const tmp = join(tmpDir, `${basename(name)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fd = openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, data);
    if (sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return tmp;
}

/**
 * Writes `data` to `dest` atomically, replacing any existing file. `sync: false` keeps the
 * atomicity but skips both fsyncs (for heartbeats and checkpoints, which are rewritten anyway).
 */
export function writeFileAtomic(tmpDir: string, dest: string, data: string, opts: { sync?: boolean } = {}): void {
  const tmp = writeTemp(tmpDir, dest, data, opts.sync !== false);
  try {
    renameSync(tmp, dest);
  } catch (err) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw err;
  }
  if (opts.sync !== false) fsyncDir(join(dest, ".."));
}

/** Writes `data` to `dest` atomically only if `dest` does not exist yet. Returns false if it did. */
export function createFileAtomic(tmpDir: string, dest: string, data: string): boolean {
  const tmp = writeTemp(tmpDir, dest, data);
  try {
    linkSync(tmp, dest);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    try { fsyncDir(join(dest, "..")); } catch { /* best effort */ }
  }
}

/** Creates an empty marker file exclusively. Returns false when it already exists. */
export function createMarker(path: string): boolean {
  try {
    closeSync(openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/** Reads a regular file without following symlinks. undefined when missing; throws on links/oversize. */
export function readFileNoFollow(path: string, maxBytes = 4 * 1024 * 1024): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, O_RDONLY | O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") throw new BridgeError("QUEUE_FAILED", `${path} is a symlink; refused.`);
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new BridgeError("QUEUE_FAILED", `${path} is not a regular file; refused.`);
    if (st.size > maxBytes) throw new BridgeError("QUEUE_FAILED", `${path} is ${st.size} bytes, more than the ${maxBytes} allowed.`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** Parses a JSON file read with readFileNoFollow; undefined when missing or unparsable. */
export function readJson(path: string, maxBytes?: number): unknown | undefined {
  const text = readFileNoFollow(path, maxBytes);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Appends one line with O_APPEND (one write call, so concurrent appenders do not interleave). */
export function appendLine(path: string, line: string): void {
  const fd = openSync(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o600);
  try { writeSync(fd, line.endsWith("\n") ? line : `${line}\n`); } finally { closeSync(fd); }
}

/** Unlinks, ignoring a missing file. */
export function removeQuietly(path: string): void {
  try { unlinkSync(path); } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}
