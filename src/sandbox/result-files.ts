/**
 * Result files: what code wrote under /output, sent by the kernel as `file` frames in chunks.
 * `ResultFileCollector` reassembles them with caps (names checked, count and bytes bounded before
 * buffering); `saveResultFiles` writes them into the folder the user allowed for writing
 * (MCP_BRIDGE_OUTPUT_FOLDER) without ever following a link or replacing an existing file: a taken
 * name gets a numbered suffix, and the result says where each file went.
 */
import { closeSync, constants, linkSync, lstatSync, mkdirSync, openSync, unlinkSync, writeSync } from "node:fs";
import { extname, join } from "node:path";
import { formatBytes } from "../config/units.ts";
import type { OutcomeFile } from "../output/format.ts";

/** Most files and bytes one call may return (the /output tmpfs is MCP_BRIDGE_TMPFS_SIZE, 64 MiB by default). */
export const MAX_RESULT_FILES = 64;
export const MAX_RESULT_BYTES = 64 * 1024 * 1024;

/** A file code wrote to /output. `name` is its path relative to /output. */
export type ResultFile = OutcomeFile;

const TYPES: Record<string, string> = {
  ".csv": "text/csv",
  ".tsv": "text/tab-separated-values",
  ".txt": "text/plain",
  ".md": "text/markdown",
  ".json": "application/json",
  ".jsonl": "application/jsonl",
  ".html": "text/html",
  ".xml": "application/xml",
  ".yaml": "application/yaml",
  ".yml": "application/yaml",
  ".py": "text/x-python",
  ".log": "text/plain",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".pdf": "application/pdf",
  ".zip": "application/zip",
  ".gz": "application/gzip",
  ".parquet": "application/vnd.apache.parquet",
  ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  ".npy": "application/octet-stream",
};

/** The media type for a file name (by extension; application/octet-stream when unknown). */
export function mimeTypeOf(name: string): string {
  return TYPES[extname(name).toLowerCase()] ?? "application/octet-stream";
}

/** True for media types whose content is text (may be embedded as text). */
export function isTextType(mime: string): boolean {
  return (
    mime.startsWith("text/") ||
    ["application/json", "application/jsonl", "application/xml", "application/yaml", "image/svg+xml"].includes(mime)
  );
}

// C0 controls, DEL and C1 controls (U+0080-U+009F: a terminal may read U+009B as CSI).
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this matches
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** `text` with control characters shown as \xNN, so a note cannot carry terminal escapes or fake lines. */
function printable(text: string): string {
  return text.replace(new RegExp(CONTROL.source, "g"), (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/**
 * A relative path of at most 16 plain segments without control characters (names come from the
 * sandbox and end up in notes, logs and the output folder), or why it is refused.
 */
function checkedName(raw: unknown): { name: string } | { refused: string } {
  const invalid = { refused: "not a valid file name" };
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 1024) return invalid;
  if (CONTROL.test(raw)) return { refused: "its name contains control characters" };
  const parts = raw.split("/");
  if (parts.length > 16 || parts.some((p) => p === "" || p === "." || p === ".." || Buffer.byteLength(p) > 255))
    return invalid;
  return { name: raw };
}

/** Most notes about dropped files one call gets; the rest are counted in one last note. */
export const MAX_FILE_NOTES = 16;

/**
 * Reassembles `file` frames of one call. Notes say what was dropped and why. Whatever the sandbox
 * sends, memory stays bounded: at most `maxFiles` names are ever accepted (a dropped file keeps
 * its slot), a finished file is never reopened or re-counted, and notes stop at MAX_FILE_NOTES.
 */
export class ResultFileCollector {
  private readonly open = new Map<string, Uint8Array[]>();
  /** Bytes accepted per name, for every name ever accepted (at most `maxFiles`). */
  private readonly sizes = new Map<string, number>();
  private readonly finished = new Set<string>();
  private readonly done: ResultFile[] = [];
  private bytes = 0;
  private readonly notesList: string[] = [];
  private unnoted = 0;
  private readonly dropped = new Set<string>();

  constructor(
    private readonly maxFiles = MAX_RESULT_FILES,
    private readonly maxBytes = MAX_RESULT_BYTES,
  ) {}

  /** What was dropped and why (at most MAX_FILE_NOTES + 1 entries). */
  get notes(): string[] {
    return this.unnoted > 0
      ? [...this.notesList, `${this.unnoted} more result file chunks or files not returned (same kinds of reasons)`]
      : this.notesList;
  }

  /** One chunk: header `{name, offset, last}`, body bytes; `dropped`: the chunk's size when the decoder skipped it (over the frame limit). */
  push(header: Record<string, unknown>, body: Uint8Array, dropped?: number): void {
    const checked = checkedName(header.name);
    if ("refused" in checked) {
      this.note(`/output/${printable(String(header.name).slice(0, 200))} not returned: ${checked.refused}`);
      return;
    }
    const name = checked.name;
    if (this.dropped.has(name)) return;
    if (this.finished.has(name)) {
      // The first copy stays; a second file under the same name would escape the file cap.
      this.note(`/output/${name}: chunks after its last one were ignored`);
      if (this.dropped.size < this.maxFiles) this.dropped.add(name);
      return;
    }
    const why =
      typeof header.last !== "boolean"
        ? "a chunk without a valid `last` flag"
        : dropped !== undefined
          ? `a chunk of ${dropped} bytes, more than the frame limit`
          : this.refusal(name, header.offset, body.length);
    if (why) {
      this.drop(name, why);
      return;
    }
    this.bytes += body.length;
    this.sizes.set(name, (this.sizes.get(name) ?? 0) + body.length);
    const chunks = this.open.get(name) ?? [];
    chunks.push(body);
    this.open.set(name, chunks);
    if (header.last === true) {
      this.open.delete(name);
      this.finished.add(name);
      this.done.push({ name, data: Buffer.concat(chunks), mimeType: mimeTypeOf(name) });
    }
  }

  private refusal(name: string, offset: unknown, length: number): string | undefined {
    const have = this.sizes.get(name);
    if (offset !== (have ?? 0)) return "its chunks arrived out of order";
    if (have === undefined && this.sizes.size >= this.maxFiles) return `at most ${this.maxFiles} files per call`;
    if (this.bytes + length > this.maxBytes) return `at most ${formatBytes(this.maxBytes)} of files per call`;
    return undefined;
  }

  /** Complete files, in the order they arrived. */
  files(): ResultFile[] {
    for (const name of this.open.keys()) this.drop(name, "it did not arrive completely");
    return this.done;
  }

  /** Drops a file that is not finished, freeing its bytes; its name is remembered (always when chunks of it were accepted, else while fewer than `maxFiles` are) so its later chunks are ignored. */
  private drop(name: string, why: string): void {
    if (this.dropped.has(name)) return;
    if (this.sizes.has(name) || this.dropped.size < this.maxFiles) this.dropped.add(name);
    if (this.open.has(name)) {
      this.bytes -= this.sizes.get(name) ?? 0;
      this.open.delete(name);
    }
    this.note(`/output/${name} not returned: ${why}`);
  }

  private note(text: string): void {
    if (this.notesList.length < MAX_FILE_NOTES) this.notesList.push(text);
    else this.unnoted++;
  }
}

const { O_CREAT, O_EXCL, O_WRONLY, O_NOFOLLOW } = constants;

/** A free name in `dir`: `name`, else `stem-1.ext`, `stem-2.ext`, … */
function candidates(base: string): Iterable<string> {
  const ext = extname(base);
  const stem = base.slice(0, base.length - ext.length);
  return (function* () {
    yield base;
    for (let i = 1; i < 10_000; i++) yield `${stem}-${i}${ext}`;
  })();
}

/**
 * Writes each file under `folder` (its subdirectories created as needed), setting `savedTo`.
 * Never follows a link and never replaces a file: an existing directory component that is a link
 * refuses the file (noted), a taken name gets a numbered suffix. Returns notes for refused files.
 */
export function saveResultFiles(files: ResultFile[], folder: string): string[] {
  const notes: string[] = [];
  for (const f of files) {
    try {
      f.savedTo = saveOne(folder, f.name, f.data);
    } catch (err) {
      notes.push(`/output/${f.name} not saved to ${folder}: ${(err as Error).message}`);
    }
  }
  return notes;
}

function saveOne(folder: string, name: string, data: Uint8Array): string {
  const parts = name.split("/");
  let dir = folder;
  for (const part of parts.slice(0, -1)) {
    dir = join(dir, part);
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(dir);
    } catch {
      mkdirSync(dir, { mode: 0o755 });
      continue;
    }
    if (st.isSymbolicLink() || !st.isDirectory())
      throw new Error(`${dir} is ${st.isSymbolicLink() ? "a symbolic link" : "not a folder"}`);
  }
  const tmp = join(dir, `.bridge-${process.pid}-${Math.random().toString(36).slice(2)}.part`);
  const fd = openSync(tmp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, 0o644);
  try {
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off);
  } finally {
    closeSync(fd);
  }
  try {
    for (const candidate of candidates(parts[parts.length - 1]!)) {
      const target = join(dir, candidate);
      try {
        linkSync(tmp, target); // atomic, and fails instead of replacing an existing file
        return target;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
    }
    throw new Error("no free name");
  } finally {
    unlinkSync(tmp);
  }
}
