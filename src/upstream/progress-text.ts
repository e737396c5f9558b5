/**
 * A server's progress or task status message as Python and the client may see it: the entry's
 * secrets masked (secrets.ts), and cut to MAX_PROGRESS_MESSAGE characters with a note.
 */
import type { Progress, Task } from "@modelcontextprotocol/sdk/types.js";
import type { CallOptions } from "./connection-deps.ts";

/** Longest progress or task status message passed on (a server may send megabytes in one). */
export const MAX_PROGRESS_MESSAGE = 8192;

/** `message` with `redact` applied, at most MAX_PROGRESS_MESSAGE characters (undefined stays undefined). */
export function shownMessage(redact: (text: string) => string, message: string | undefined): string | undefined {
  if (message === undefined) return undefined;
  const text = redact(message.length > 4 * MAX_PROGRESS_MESSAGE ? message.slice(0, 4 * MAX_PROGRESS_MESSAGE) : message);
  return text.length > MAX_PROGRESS_MESSAGE
    ? `${text.slice(0, MAX_PROGRESS_MESSAGE)}… [${text.length - MAX_PROGRESS_MESSAGE}+ more characters]`
    : text;
}

/** A tool call's progress and status callbacks, passing on each message as `shownMessage` makes it. */
export function shownCallbacks(
  redact: (text: string) => string,
  opts: Pick<CallOptions, "onProgress" | "onStatus">,
): { onprogress: (p: Progress) => void; onStatus?: (t: Task) => void } {
  const onprogress = (p: Progress) =>
    opts.onProgress?.(p.message === undefined ? p : { ...p, message: shownMessage(redact, p.message) });
  const onStatus =
    opts.onStatus &&
    ((t: Task) =>
      opts.onStatus!(
        t.statusMessage === undefined ? t : { ...t, statusMessage: shownMessage(redact, t.statusMessage) },
      ));
  return { onprogress, onStatus };
}
