/**
 * Finding the `id` of a JSON-RPC message that is too large to parse, from its first and last bytes
 * only, so the error answering it reaches the caller's pending request. Clients put `id` first
 * (the Python SDK: `{"jsonrpc","id","method",…}`) or last (the TypeScript SDK spreads the request,
 * then adds `jsonrpc` and `id`). Anything ambiguous gives undefined (the error then has id null).
 */
import type { RequestId } from "@modelcontextprotocol/sdk/types.js";

/** The top-level `id` found at the start (`head`) or end (`tail`) of a message, if any. */
export function requestIdOf(head: string, tail: string): RequestId | undefined {
  return idFromHead(head) ?? idFromTail(tail);
}

const WS = /\s/;
const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/;

/** Scans forward through the top-level object's members until `"id"` or the end of `s`. */
export function idFromHead(s: string): RequestId | undefined {
  let depth = 0;
  let prev = ""; // last significant character outside strings
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') {
      const end = stringEnd(s, i);
      if (end < 0) return undefined;
      if (depth === 1 && (prev === "{" || prev === ",")) {
        let j = end + 1;
        while (WS.test(s[j] ?? "")) j++;
        if (s[j] === ":" && s.slice(i, end + 1) === '"id"') return scalarAt(s, j + 1);
      }
      prev = '"';
      i = end;
      continue;
    }
    if (WS.test(c)) continue;
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    if (depth < 1 && i > 0) return undefined;
    prev = c;
  }
  return undefined;
}

/** Reads backwards from the closing `}`: the last member, if it is `"id": <number|string>`. */
export function idFromTail(s: string): RequestId | undefined {
  let j = s.length - 1;
  while (j >= 0 && WS.test(s[j]!)) j--;
  if (s[j] !== "}") return undefined;
  j--;
  while (j >= 0 && WS.test(s[j]!)) j--;
  let value: RequestId;
  let start: number;
  if (s[j] === '"') {
    start = j - 1;
    while (start >= 0 && !(s[start] === '"' && backslashesBefore(s, start) % 2 === 0)) start--;
    if (start < 0) return undefined;
    try {
      value = JSON.parse(s.slice(start, j + 1)) as string;
    } catch {
      return undefined;
    }
  } else {
    start = j;
    while (start > 0 && /[-+.\deE]/.test(s[start - 1]!)) start--;
    const m = NUMBER.exec(s.slice(start, j + 1));
    if (!m || m[0].length !== j + 1 - start) return undefined;
    value = Number(m[0]);
  }
  let k = start - 1;
  while (k >= 0 && WS.test(s[k]!)) k--;
  if (s[k] !== ":") return undefined;
  k--;
  while (k >= 0 && WS.test(s[k]!)) k--;
  if (s.slice(k - 3, k + 1) !== '"id"') return undefined;
  k -= 4;
  while (k >= 0 && WS.test(s[k]!)) k--;
  return s[k] === "," || s[k] === "{" ? value : undefined;
}

/** Index of the quote closing the string that opens at `i`, or -1 if it is cut off. */
function stringEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === "\\") j++;
    else if (s[j] === '"') return j;
  }
  return -1;
}

function backslashesBefore(s: string, i: number): number {
  let n = 0;
  while (i - 1 - n >= 0 && s[i - 1 - n] === "\\") n++;
  return n;
}

function scalarAt(s: string, i: number): RequestId | undefined {
  while (WS.test(s[i] ?? "")) i++;
  if (s[i] === '"') {
    const end = stringEnd(s, i);
    if (end < 0) return undefined;
    try {
      return JSON.parse(s.slice(i, end + 1)) as string;
    } catch {
      return undefined;
    }
  }
  const m = NUMBER.exec(s.slice(i, i + 40));
  return m ? Number(m[0]) : undefined;
}
