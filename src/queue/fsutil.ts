/**
 * File primitives the queue is built on, all inside guarded directories (src/queue/dirs.ts):
 * private directories (0700, never symlinks), atomic writes (temp file, fsync, rename or
 * no-replace link, fsync of the directory), reads that cannot block or flood (src/fs/read.ts:
 * non-blocking open, regular files only, size cap, no symlinks), appends that refuse anything but
 * a regular file, and removals limited to regular files. Synchronous on purpose: each call is
 * short, and ordering is simple.
 */
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
} from "node:fs";
import { randomBytes } from "node:crypto";
import { BridgeError } from "../errors.ts";
import { readRegularFile } from "../fs/read.ts";
import { writeAll } from "../fs/write.ts";
import type { QueueDir } from "./dirs.ts";

const { O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW, O_NONBLOCK } = constants;

/** Largest queue file read by default (job files are at most 2 MiB). */
export const MAX_QUEUE_FILE = 4 * 1024 * 1024;
/** Temp files: `<dest name>.<pid>.<8 hex>.tmp` (GC removes only names of this shape; `~` is in shared-lock names). */
export const TMP_NAME_RE = /^[A-Za-z0-9_.~-]{1,160}\.\d{1,10}\.[0-9a-f]{8}\.tmp$/;

/** Creates `path` (0700) if missing; refuses a symlink or non-directory; tightens a looser mode. */
export function ensurePrivateDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const st = lstatSync(path);
  if (st.isSymbolicLink())
    throw new BridgeError("QUEUE_FAILED", `${path} is a symlink; bridge refuses to use linked queue directories.`, {
      hint: "Replace the link with a real directory.",
    });
  if (!st.isDirectory())
    throw new BridgeError("QUEUE_FAILED", `${path} is not a directory.`, {
      hint: "Move the file away so bridge can create the directory.",
    });
  if ((st.mode & 0o077) !== 0 && (!process.getuid || st.uid === process.getuid())) chmodSync(path, 0o700);
}

/** fsync a directory so a rename or link in it survives a crash. */
export function fsyncDir(dir: QueueDir): void {
  dir.fsync();
}

/** Writes a fresh temp file in `tmp`; returns its name. Removes it again if writing fails (ENOSPC …). */
function writeTemp(tmp: QueueDir, destName: string, data: string, sync = true): string {
  const name = `${destName.slice(0, 160)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const path = tmp.at(name);
  const fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    writeAll(fd, data);
    if (sync) fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(path);
    } catch {
      /* already gone */
    }
    throw err;
  }
  closeSync(fd);
  return name;
}

/**
 * Writes `data` to `dir/name` atomically, replacing any existing file. `sync: false` keeps the
 * atomicity but skips both fsyncs (for heartbeats and checkpoints, which are rewritten anyway).
 */
export function writeFileAtomic(
  tmp: QueueDir,
  dir: QueueDir,
  name: string,
  data: string,
  opts: { sync?: boolean } = {},
): void {
  const tmpName = writeTemp(tmp, name, data, opts.sync !== false);
  try {
    renameSync(tmp.at(tmpName), dir.at(name));
  } catch (err) {
    try {
      unlinkSync(tmp.at(tmpName));
    } catch {
      /* already gone */
    }
    throw err;
  }
  if (opts.sync !== false) fsyncDir(dir);
}

/**
 * Writes `data` to `dir/name` atomically only if it does not exist yet. Returns false if it did.
 * `sync: false` keeps the atomicity and exclusivity but skips both fsyncs (for records that mean
 * nothing after a crash, such as directory locks, whose owners a crash has ended).
 */
export function createFileAtomic(
  tmp: QueueDir,
  dir: QueueDir,
  name: string,
  data: string,
  opts: { sync?: boolean } = {},
): boolean {
  const sync = opts.sync !== false;
  const tmpName = writeTemp(tmp, name, data, sync);
  try {
    linkSync(tmp.at(tmpName), dir.at(name));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    try {
      unlinkSync(tmp.at(tmpName));
    } catch {
      /* already gone */
    }
    if (sync)
      try {
        fsyncDir(dir);
      } catch {
        /* best effort */
      }
  }
}

/** Creates an empty marker file exclusively. Returns false when it already exists. */
export function createMarker(dir: QueueDir, name: string): boolean {
  try {
    closeSync(openSync(dir.at(name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/**
 * Reads a regular file without following symlinks or blocking on a FIFO. undefined when missing;
 * throws QUEUE_FAILED for links, special files and files over `maxBytes`.
 */
export function readFileNoFollow(dir: QueueDir, name: string, maxBytes = MAX_QUEUE_FILE): string | undefined {
  return readRegularFile(dir.at(name), { maxBytes, code: "QUEUE_FAILED", label: `${dir.path}/${name}` });
}

/** Parses a JSON file read with readFileNoFollow; undefined when missing or unparsable. */
export function readJson(dir: QueueDir, name: string, maxBytes?: number): unknown | undefined {
  const text = readFileNoFollow(dir, name, maxBytes);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** readJson, with every refusal or I/O error read as "nothing there". */
export function readJsonQuietly(dir: QueueDir, name: string, maxBytes?: number): unknown | undefined {
  try {
    return readJson(dir, name, maxBytes);
  } catch {
    return undefined;
  }
}

/**
 * Appends one line with O_APPEND (one write call, so concurrent appenders do not interleave). The
 * open does not block and anything but a regular file is refused (a FIFO named like the file).
 */
export function appendLine(dir: QueueDir, name: string, line: string): void {
  const path = dir.at(name);
  const fd = openSync(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK, 0o600);
  try {
    if (!fstatSync(fd).isFile())
      throw new BridgeError("QUEUE_FAILED", `${dir.path}/${name} is not a regular file; refused.`);
    writeAll(fd, line.endsWith("\n") ? line : `${line}\n`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Unlinks `dir/name` when it is a regular file or a symlink (unlink never follows one); with
 * `special`, also a FIFO, socket or device node planted under a name bridge uses. Never a
 * directory. False when missing or of another type.
 */
export function removeFile(dir: QueueDir, name: string, opts: { special?: boolean } = {}): boolean {
  const path = dir.at(name);
  try {
    const st = lstatSync(path);
    if (st.isDirectory() || (!opts.special && !st.isFile() && !st.isSymbolicLink())) return false;
    unlinkSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

/** removeFile, ignoring every error (cleanup paths). */
export function removeQuietly(dir: QueueDir, name: string, opts: { special?: boolean } = {}): void {
  try {
    removeFile(dir, name, opts);
  } catch {
    /* nothing to do */
  }
}

/** mtime or ctime (whichever is later) of `dir/name` in ms; undefined when missing (or, with `regular`, not a regular file). */
export function fileAgeStamp(dir: QueueDir, name: string, opts: { regular?: boolean } = {}): number | undefined {
  try {
    const st = lstatSync(dir.at(name));
    if (opts.regular && !st.isFile()) return undefined;
    return Math.max(st.mtimeMs, st.ctimeMs);
  } catch {
    return undefined;
  }
}

/** Whether `dir/name` exists (as anything; symlinks are not followed). */
export function entryExists(dir: QueueDir, name: string): boolean {
  try {
    lstatSync(dir.at(name));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}
