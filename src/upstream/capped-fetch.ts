/**
 * The fetch behind HTTP and SSE upstream transports: a response body is counted as it streams and
 * fails with MessageTooLargeError before the SDK has buffered more than `maxBytes` of one message.
 * The SDK reads a JSON response whole (`response.json()`, `response.text()`) and an SSE event until
 * its blank line (eventsource-parser), each without a limit. A JSON or other body is one message;
 * an `text/event-stream` body is capped per event (the bytes between blank lines, line ends not
 * counted), so a long-lived stream of small events is never cut. `onTooLarge` runs as the limit is
 * passed (transports.ts closes the transport there, as a stdio server over the limit is closed).
 */
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { MessageTooLargeError } from "./line-reader.ts";

const LF = 0x0a;
const CR = 0x0d;

/** Counts the bytes of the current SSE event; an empty line (LF, CR or CRLF twice) starts the next. */
export class EventSizer {
  private bytes = 0;
  private atLineStart = true;
  private afterCR = false;

  constructor(private readonly maxBytes: number) {}

  /** True when `chunk` takes the current event past the limit. */
  over(chunk: Uint8Array): boolean {
    for (const b of chunk) {
      if (b === LF && this.afterCR) {
        this.afterCR = false;
      } else if (b === LF || b === CR) {
        if (this.atLineStart) this.bytes = 0;
        this.atLineStart = true;
        this.afterCR = b === CR;
      } else {
        this.afterCR = false;
        this.atLineStart = false;
        if (++this.bytes > this.maxBytes) return true;
      }
    }
    return false;
  }
}

/** Counts a whole body. */
class BodySizer {
  private bytes = 0;
  constructor(private readonly maxBytes: number) {}
  over(chunk: Uint8Array): boolean {
    this.bytes += chunk.length;
    return this.bytes > this.maxBytes;
  }
}

/** `base` with every response body capped as described above. */
export function cappedFetch(
  maxBytes: number,
  onTooLarge: (err: MessageTooLargeError) => void,
  base: FetchLike = fetch,
): FetchLike {
  return async (url, init) => {
    const res = await base(url, init);
    if (!res.body) return res;
    const type = (res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    const sizer = type === "text/event-stream" ? new EventSizer(maxBytes) : new BodySizer(maxBytes);
    const body = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          if (!sizer.over(chunk)) return controller.enqueue(chunk);
          const err = new MessageTooLargeError(maxBytes);
          controller.error(err);
          onTooLarge(err);
        },
      }),
    );
    const capped = new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    // Redirect handling (the SDK's fetchWithinOrigin, eventsource) reads these.
    for (const key of ["url", "redirected", "type"] as const) Object.defineProperty(capped, key, { value: res[key] });
    return capped;
  };
}
