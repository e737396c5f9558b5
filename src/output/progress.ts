/**
 * Streams output as MCP progress notifications while a run is going: complete lines only, at most
 * one notification per interval, each message capped, so a flood of prints cannot flood the client.
 */

/** Longest message per notification; longer batches are cut with a note. */
const MAX_MESSAGE = 8192;

export interface ProgressSink {
  send(progress: number, message: string): void;
}

export class ProgressStreamer {
  private pending = "";
  private count = 0;
  private lastSent = 0;

  constructor(private readonly sink: ProgressSink, private readonly intervalMs = 100, private readonly now: () => number = Date.now) {}

  /** Adds decoded output text; sends complete lines when the interval has passed. */
  push(text: string): void {
    this.pending += text;
    if (this.now() - this.lastSent >= this.intervalMs) this.flush(false);
  }

  /** Sends what is pending; with `all`, also a last line without a newline. */
  flush(all = true): void {
    const end = all ? this.pending.length : this.pending.lastIndexOf("\n") + 1;
    if (end <= 0) return;
    let message = this.pending.slice(0, end);
    this.pending = this.pending.slice(end);
    if (message.endsWith("\n")) message = message.slice(0, -1);
    if (message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE)}\n[... ${message.length - MAX_MESSAGE} more characters in the final result]`;
    this.lastSent = this.now();
    this.sink.send(++this.count, message);
  }
}
