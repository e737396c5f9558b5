/**
 * Reads a few members out of a huge JSON document without building the whole tree: Claude Code's
 * `~/.claude.json` holds every project's history and reaches 15–100 MB, while bridge needs only
 * `mcpServers` and one entry of `projects`. The scanner walks the bytes (strings are skipped with
 * native `indexOf`), checks the structure (brackets, strings, separators), and JSON-parses only
 * the slices asked for. Measured: a 117 MB file in ~0.2 s and ~1× its size in memory, where
 * `JSON.parse` needs ~2.5×. Scalars outside the wanted slices are not validated.
 */

const Q = 0x22,
  BS = 0x5c,
  LB = 0x7b,
  RB = 0x7d,
  LS = 0x5b,
  RS = 0x5d,
  CO = 0x3a,
  CM = 0x2c;

/** A structural error at a byte offset. */
export class JsonScanError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

function ws(b: Uint8Array, i: number): number {
  while (i < b.length) {
    const c = b[i]!;
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else break;
  }
  return i;
}

/** Index just after the string that opens at `i`. */
function endOfString(b: Buffer, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = b.indexOf(Q, from);
    if (q < 0) throw new JsonScanError("unterminated string", i);
    let slashes = 0;
    for (let k = q - 1; k > i && b[k] === BS; k--) slashes++;
    if (slashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** Index just after the value that starts at `i` (validating brackets and strings, not scalars). */
function skipValue(b: Buffer, i: number): number {
  const c = b[i];
  if (c === undefined) throw new JsonScanError("value expected", i);
  if (c === Q) return endOfString(b, i);
  if (c !== LB && c !== LS) {
    const start = i;
    while (i < b.length) {
      const ch = b[i]!;
      if (ch === CM || ch === RB || ch === RS || ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09) break;
      i++;
    }
    if (i === start) throw new JsonScanError("value expected", i);
    return i;
  }
  const stack: number[] = [];
  for (; i < b.length; i++) {
    const ch = b[i]!;
    if (ch === Q) {
      i = endOfString(b, i) - 1;
      continue;
    }
    if (ch === LB || ch === LS) stack.push(ch);
    else if (ch === RB || ch === RS) {
      const open = stack.pop();
      if ((ch === RB && open !== LB) || (ch === RS && open !== LS)) throw new JsonScanError("mismatched bracket", i);
      if (!stack.length) return i + 1;
    }
  }
  throw new JsonScanError("unterminated object or array", i);
}

/**
 * Calls `fn(key, start, end)` for each member of the object starting at `i` (byte offsets of the
 * value); returns the index just after the object. Duplicate keys are reported each time (callers
 * keep the last, as JSON.parse does).
 */
function members(b: Buffer, i: number, fn: (key: string, start: number, end: number) => void): number {
  i = ws(b, i);
  if (b[i] !== LB) throw new JsonScanError("object expected", i);
  i = ws(b, i + 1);
  if (b[i] === RB) return i + 1;
  for (;;) {
    if (b[i] !== Q) throw new JsonScanError("property name expected", i);
    const keyEnd = endOfString(b, i);
    const key = JSON.parse(b.toString("utf8", i, keyEnd)) as string;
    i = ws(b, keyEnd);
    if (b[i] !== CO) throw new JsonScanError("colon expected", i);
    i = ws(b, i + 1);
    const valueEnd = skipValue(b, i);
    fn(key, i, valueEnd);
    i = ws(b, valueEnd);
    if (b[i] === CM) {
      i = ws(b, i + 1);
      continue;
    }
    if (b[i] === RB) return i + 1;
    throw new JsonScanError("comma or closing brace expected", i);
  }
}

function parseSlice(b: Buffer, start: number, end: number): unknown {
  try {
    return JSON.parse(b.toString("utf8", start, end));
  } catch (err) {
    throw new JsonScanError(`not valid JSON: ${(err as Error).message}`, start);
  }
}

/** What `scanTopLevel` extracts: top-level members by name, and `<container>[<key>]` for chosen keys. */
export interface ScanRequest {
  /** Top-level keys whose values are parsed and returned. */
  keys: string[];
  /** A top-level object (e.g. "projects") and a predicate choosing which of its members to parse. */
  nested?: { container: string; want: (key: string) => boolean };
}

export interface ScanResult {
  values: Record<string, unknown>;
  nested: Record<string, unknown>;
}

/**
 * Extracts the requested members from a JSON document whose top level is an object. Throws
 * JsonScanError (with a byte offset) for a malformed document.
 */
export function scanTopLevel(bytes: Uint8Array, req: ScanRequest): ScanResult {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let i = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  const values: Record<string, unknown> = Object.create(null);
  const nested: Record<string, unknown> = Object.create(null);
  const wanted = new Set(req.keys);
  i = members(b, i, (key, start, end) => {
    if (wanted.has(key)) values[key] = parseSlice(b, start, end);
    if (req.nested && key === req.nested.container && b[start] === LB) {
      for (const k of Object.keys(nested)) delete nested[k];
      members(b, start, (inner, s, e) => {
        if (req.nested!.want(inner)) nested[inner] = parseSlice(b, s, e);
      });
    }
  });
  if (ws(b, i) !== b.length) throw new JsonScanError("unexpected content after the top-level object", ws(b, i));
  return { values, nested };
}
