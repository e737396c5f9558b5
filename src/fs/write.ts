/**
 * Writing a whole buffer to a file descriptor. `write(2)` may write fewer bytes than asked (a disk
 * filling up writes what fits and reports ENOSPC only on the next call); a single writeSync would
 * then leave a truncated file that looks complete. This loops until every byte is written or a
 * write fails.
 */
import { writeSync } from "node:fs";

/** Writes all of `data` (UTF-8 for a string) at the current offset; throws the first write error. */
export function writeAll(fd: number, data: string | Uint8Array): void {
  const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let off = 0;
  while (off < buf.length) {
    const n = writeSync(fd, buf, off, buf.length - off);
    if (n <= 0) throw Object.assign(new Error("write made no progress (ENOSPC?)"), { code: "ENOSPC" });
    off += n;
  }
}
