/**
 * Fits a run's text fields into a size *as the client receives them*: JSON-escaped inside the
 * MCP message, where a newline takes 2 bytes and a control character 6 (`\u0001`). Output longer
 * than its share keeps its head (70 %) and tail (30 %) with a note in between saying what was cut;
 * the result repr and the traceback get at most a quarter of the budget each. Used by run_python
 * (src/mcp/tools/run-python.ts) so the head, the tail and the note stay within what clients show
 * inline (docs/upstream.md, "Result size").
 */
import { formatBytes } from "../config/units.ts";
import type { RunOutcome } from "./format.ts";

const HEAD_SHARE = 0.7;
/** Room for the keys, status, flags and bridge's notes around the text fields. */
const ENVELOPE_BYTES = 512;

/** Bytes one UTF-16 code unit takes inside a JSON string (a surrogate pair counts 4 on its high half). */
function unitCost(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0x20) return c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 2 : 6;
  if (c === 0x22 || c === 0x5c) return 2;
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdbff) return isLow(text.charCodeAt(i + 1)) ? 4 : 6;
  if (c >= 0xdc00 && c <= 0xdfff) return isHigh(text.charCodeAt(i - 1)) ? 0 : 6;
  return 3;
}
const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** Size of `text` as a JSON string value, without the quotes. */
export function encodedSize(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) n += unitCost(text, i);
  return n;
}

/** End index of the longest prefix whose encoded size is at most `budget` (never splits a pair). */
function prefixEnd(text: string, budget: number): number {
  let n = 0;
  let i = 0;
  for (; i < text.length; i++) {
    const cost = unitCost(text, i);
    if (n + cost > budget) break;
    n += cost;
  }
  return i > 0 && isHigh(text.charCodeAt(i - 1)) && isLow(text.charCodeAt(i)) ? i - 1 : i;
}

/** Start index of the longest suffix whose encoded size is at most `budget`. */
function suffixStart(text: string, budget: number): number {
  let n = 0;
  let i = text.length;
  for (; i > 0; i--) {
    const cost = unitCost(text, i - 1);
    if (n + cost > budget) break;
    n += cost;
  }
  return i < text.length && isLow(text.charCodeAt(i)) && isHigh(text.charCodeAt(i - 1)) ? i + 1 : i;
}

/** `text` cut to `budget` encoded bytes: head, the note `note(head, tail)` makes, tail. */
export function cutMiddle(
  text: string,
  budget: number,
  note: (shownHead: string, shownTail: string) => string,
): { text: string; cut: boolean } {
  if (encodedSize(text) <= budget) return { text, cut: false };
  // The note's size depends on the numbers in it; measure it once with the largest numbers it can hold.
  const room = Math.max(0, budget - encodedSize(note(text, text)) - 16);
  const head = text.slice(0, prefixEnd(text, Math.floor(room * HEAD_SHARE)));
  const tailStart = Math.max(head.length, suffixStart(text, room - encodedSize(head)));
  const tail = text.slice(tailStart);
  return { text: head + note(head, tail) + tail, cut: true };
}

/**
 * The outcome with output, result and error fitting `maxBytes` together, as JSON-escaped text.
 * `truncated` is set when anything was cut; `output.totalBytes` (what the code wrote) is kept.
 */
export function fitOutcome(o: RunOutcome, maxBytes: number): RunOutcome {
  const budget = Math.max(1024, maxBytes - ENVELOPE_BYTES);
  const quarter = Math.floor(budget / 4);
  // The sandbox may have cut a huge repr/traceback already (its note is then in the middle, which
  // this cut removes): the note states the full size either way, so there is one note, in view.
  const part = (what: string, total: number | undefined) => (text: string) =>
    cutMiddle(
      text,
      quarter,
      (h, t) =>
        `\n[... ${what} cut to fit ${formatBytes(maxBytes)}: it was ${total ?? Buffer.byteLength(text)} bytes; showing its first ${h.length} and last ${t.length} characters ...]\n`,
    );
  const value = o.value === undefined ? undefined : part("result repr", o.valueTotalBytes)(o.value);
  const error = o.error === undefined ? undefined : part("error text", o.errorTotalBytes)(o.error);
  const used = (value ? encodedSize(value.text) : 0) + (error ? encodedSize(error.text) : 0);
  const written = o.output.totalBytes;
  const out = cutMiddle(
    o.output.text,
    budget - used,
    (h, t) =>
      `\n[... output cut: the code wrote ${formatBytes(written)} (${written} bytes); showing the first ${Buffer.byteLength(h)} and the last ${Buffer.byteLength(t)} bytes, as much as fits ${formatBytes(maxBytes)} once JSON-escaped. Raise MCP_BRIDGE_MAX_OUTPUT or print less ...]\n`,
  );
  if (!out.cut && !value?.cut && !error?.cut) return o;
  const fitted: RunOutcome = {
    ...o,
    output: { ...o.output, text: out.text, truncated: o.output.truncated || out.cut },
  };
  if (value) fitted.value = value.text;
  if (error) fitted.error = error.text;
  if (value?.cut || error?.cut) fitted.output.truncated = true;
  return fitted;
}
