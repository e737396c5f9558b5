/**
 * Reading files from places bridge does not control (shared queue folders, config files, caches,
 * the memory store) without letting them block or flood the process: the open is non-blocking (a
 * FIFO or device named like an expected file cannot freeze the event loop), only regular files are
 * read (checked with fstat on the opened descriptor, so a swap after a check does not help), the size
 * is capped before a byte is buffered, and symlinks are refused unless the caller allows them.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { BridgeError, type ErrorCode } from "../errors.ts";

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = constants;

export interface SafeReadOptions {
  /** Largest file accepted, in bytes; a larger one is refused before it is read. */
  maxBytes: number;
  /** Follow a symlink at the last path component (config files in dotfile repos are often links). Default false. */
  followSymlinks?: boolean;
  /** The BridgeError code for a refused file. Default "FILE_REFUSED". */
  code?: ErrorCode;
  /** How to name the file in messages (e.g. "a queue file"); default the path itself. */
  label?: string;
}

/** Why a file was refused (stable strings: callers and tests match on them). */
export type RefusalReason = "symlink" | "not-regular" | "too-large";

/** The error a refused file raises; `reason` tells which rule refused it. */
export class FileRefusedError extends BridgeError {
  readonly reason: RefusalReason;
  readonly path: string;
  constructor(code: ErrorCode, path: string, reason: RefusalReason, message: string) {
    super(code, message, {
      hint: reason === "too-large" ? "Remove or shrink the file." : "Replace it with a regular file.",
    });
    this.reason = reason;
    this.path = path;
  }
}

/**
 * Reads a regular file as bytes. Returns undefined when the file does not exist; throws
 * FileRefusedError for a symlink (unless followSymlinks), a non-regular file (FIFO, socket, device,
 * directory) or one larger than maxBytes; rethrows other I/O errors (EACCES, EIO, …).
 */
export function readRegularFileBytes(path: string, opts: SafeReadOptions): Buffer | undefined {
  const code = opts.code ?? "FILE_REFUSED";
  const label = opts.label ?? path;
  let fd: number;
  try {
    fd = openSync(path, O_RDONLY | O_NONBLOCK | (opts.followSymlinks ? 0 : O_NOFOLLOW));
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code;
    if (errno === "ENOENT" || errno === "ENOTDIR") return undefined;
    if (errno === "ELOOP") throw new FileRefusedError(code, path, "symlink", `${label} is a symlink; refused.`);
    throw err;
  }
  try {
    const st: Stats = fstatSync(fd);
    if (!st.isFile())
      throw new FileRefusedError(code, path, "not-regular", `${label} is not a regular file (${kindOf(st)}); refused.`);
    if (st.size > opts.maxBytes) {
      throw new FileRefusedError(
        code,
        path,
        "too-large",
        `${label} is ${st.size} bytes, more than the ${opts.maxBytes} allowed; refused.`,
      );
    }
    // Read at most maxBytes + 1 even if the file grows after fstat, so growth is detected, not buffered.
    const buf = Buffer.alloc(Math.min(st.size, opts.maxBytes) + 1);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    if (off > opts.maxBytes)
      throw new FileRefusedError(
        code,
        path,
        "too-large",
        `${label} grew past the ${opts.maxBytes} bytes allowed while it was read; refused.`,
      );
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** readRegularFileBytes decoded as UTF-8 (invalid sequences become U+FFFD). */
export function readRegularFile(path: string, opts: SafeReadOptions): string | undefined {
  return readRegularFileBytes(path, opts)?.toString("utf8");
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isDirectory()) return "a directory";
  return "not a file";
}
