/**
 * Streams output as MCP progress notifications while a run is going: complete lines only, at most
 * one notification per interval, each message capped, so a flood of prints cannot flood the client.
 * Memory is bounded too: of the text waiting for the next notification only the part that can
 * still be sent (MAX_MESSAGE characters) is kept; the rest is counted. Status lines from elsewhere
 * (an upstream MCP server's progress during run_python) go through the same caps: `notice`.
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
  private pendingNotice?: string;
  private timer?: Timer;
  private ended = false;

  constructor(
    private readonly sink: ProgressSink,
    private readonly intervalMs = 100,
    private readonly now: () => number = Date.now,
  ) {}

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
    const more =
      this.lines.length -
      (this.lines.endsWithNewline ? 1 : 0) -
      (message.endsWith("\n") ? message.length - 1 : message.length);
    this.lines.clear();
    if (message.endsWith("\n")) message = message.slice(0, -1);
    if (more > 0) message = `${message}\n[... ${more} more characters in the final result]`;
    this.lastSent = this.now();
    this.sink.send(++this.count, message);
  }

  /**
   * A status line that is not output (an upstream server's progress): cut to MAX_MESSAGE
   * characters, sent with the same counter and at most once per interval; between two sends only
   * the latest is kept, and sent by a timer once the interval has passed. Output lines waiting go
   * first, so the client sees things in order.
   */
  notice(message: string): void {
    if (this.ended) return;
    this.pendingNotice =
      message.length > MAX_MESSAGE
        ? `${message.slice(0, MAX_MESSAGE)}\n[... ${message.length - MAX_MESSAGE} more characters]`
        : message;
    const wait = this.lastSent + this.intervalMs - this.now();
    if (wait <= 0) return this.sendNotice();
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.sendNotice();
    }, wait);
  }

  /** The run is over: a pending notice is dropped (nothing is sent after the result); with `flushOutput`, the last output goes. */
  end(flushOutput = true): void {
    this.ended = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pendingNotice = undefined;
    if (flushOutput) this.flush();
  }

  private sendNotice(): void {
    const message = this.pendingNotice;
    if (message === undefined || this.ended) return;
    this.pendingNotice = undefined;
    this.flush(false);
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
