/**
 * Splits a stdio server's stdout into newline-delimited JSON-RPC lines without ever keeping more
 * than `maxBytes` of one line. The SDK's ReadBuffer copies the whole partial line into a new Buffer
 * on every chunk (quadratic, and the copies pile up faster than they are collected: a server that
 * wrote 64 MiB without a newline took serve past 600 MB). Here the chunks of a partial line are
 * kept as they came and joined once, at its newline; a line that grows past the limit is dropped
 * at once and everything after it is counted, not kept, until `clear()`.
 */

/** A line from the server over the limit. The text matches the SDK's ReadBuffer error ("exceeded maximum size"). */
export class MessageTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`a message from the server exceeded maximum size of ${limit} bytes`);
    this.name = "MessageTooLargeError";
  }
}

const NEWLINE = 0x0a;

export class LineReader {
  private parts: Buffer[] = [];
  private lineBytes = 0;
  private discarding = false;
  /** Bytes read and thrown away since a line went over the limit. */
  discarded = 0;

  constructor(private readonly maxBytes: number) {}

  /**
   * Feeds one chunk; calls `onLine` with each complete line (UTF-8, a trailing `\r` removed).
   * Throws MessageTooLargeError the moment the current line exceeds the limit; from then on,
   * input is only counted.
   */
  push(chunk: Buffer, onLine: (line: string) => void): void {
    if (this.discarding) {
      this.discarded += chunk.length;
      return;
    }
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, pos);
      const end = nl < 0 ? chunk.length : nl;
      if (this.lineBytes + (end - pos) > this.maxBytes) {
        this.discarded = chunk.length - pos;
        this.discarding = true;
        this.parts = [];
        this.lineBytes = 0;
        throw new MessageTooLargeError(this.maxBytes);
      }
      if (end > pos) {
        this.parts.push(chunk.subarray(pos, end));
        this.lineBytes += end - pos;
      }
      if (nl < 0) return;
      const line = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.lineBytes);
      this.parts = [];
      this.lineBytes = 0;
      pos = nl + 1;
      onLine(line.toString("utf8").replace(/\r$/, ""));
    }
  }

  /** Forgets the partial line and ends discarding. */
  clear(): void {
    this.parts = [];
    this.lineBytes = 0;
    this.discarding = false;
    this.discarded = 0;
  }
}
