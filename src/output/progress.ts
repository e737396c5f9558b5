/**
 * Streams output as MCP progress notifications while a run is going: complete lines only, at most
 * one notification per interval, each message capped, so a flood of prints cannot flood the client.
 * Memory is bounded too: of the text waiting for the next notification only the part that can
 * still be sent (MAX_MESSAGE characters) is kept; the rest is counted.
 */

/** Longest message per notification; longer batches are cut with a note. */
const MAX_MESSAGE = 8192;

export interface ProgressSink {
  send(progress: number, message: string): void;
}

/** The first MAX_MESSAGE characters of some text, and how long that text really was. */
class Capped {
  text = "";
  length = 0;
  /** The last text added ended with a newline. */
  endsWithNewline = false;

  add(s: string): void {
    if (!s) return;
    if (this.text.length < MAX_MESSAGE) this.text += s.slice(0, MAX_MESSAGE - this.text.length);
    this.length += s.length;
    this.endsWithNewline = s.endsWith("\n");
  }

  clear(): void {
    this.text = "";
    this.length = 0;
    this.endsWithNewline = false;
  }
}

export class ProgressStreamer {
  /** Complete lines not sent yet, then the line still being written. */
  private lines = new Capped();
  private open = new Capped();
  private count = 0;
  private lastSent = 0;

  constructor(private readonly sink: ProgressSink, private readonly intervalMs = 100, private readonly now: () => number = Date.now) {}

  /** Adds decoded output text; sends complete lines when the interval has passed. */
  push(text: string): void {
    const nl = text.lastIndexOf("\n");
    if (nl < 0) {
      this.open.add(text);
    } else {
      this.moveOpenLine();
      this.lines.add(text.slice(0, nl + 1));
      this.open.add(text.slice(nl + 1));
    }
    if (this.now() - this.lastSent >= this.intervalMs) this.flush(false);
  }

  /** Sends what is pending; with `all`, also a last line without a newline. */
  flush(all = true): void {
    if (all) this.moveOpenLine();
    if (this.lines.length === 0) return;
    let message = this.lines.text;
    // The batch's last newline is not part of the message.
    const more = this.lines.length - (this.lines.endsWithNewline ? 1 : 0) - (message.endsWith("\n") ? message.length - 1 : message.length);
    this.lines.clear();
    if (message.endsWith("\n")) message = message.slice(0, -1);
    if (more > 0) message = `${message}\n[... ${more} more characters in the final result]`;
    this.lastSent = this.now();
    this.sink.send(++this.count, message);
  }

  /** The open line joins the complete lines (its known part, plus the count of the rest). */
  private moveOpenLine(): void {
    if (this.open.length === 0) return;
    this.lines.add(this.open.text);
    this.lines.length += this.open.length - this.open.text.length;
    this.open.clear();
  }
}
