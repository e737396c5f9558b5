/**
 * Walking an allowed folder on the host, bounded in entries and depth: shared by the copy for remote
 * engines (folders.ts) and the special-file masks for local ones. The kernel's read-only check on a
 * bind mount covers regular files, directories and links only: opening a FIFO for writing,
 * connecting to a unix socket or opening a device node in a read-only mount still reaches the host
 * process or device behind it. So, at every container start, each FIFO, socket and device in a
 * bind-mounted folder is covered inside the container by a read-only bind mount of an empty file
 * (podman and docker both mount a file over any non-directory; checked by
 * test/security/data-special-files.test.ts). Ones created after the container started are not covered.
 */
import { chmodSync, lstatSync, readdirSync, renameSync, writeFileSync, type Dirent, type Stats } from "node:fs";
import { join, relative, sep } from "node:path";
import { BridgeError } from "../errors.ts";
import type { Folder, Folders } from "./folders.ts";

/** Most entries and directory levels walked in one folder; past them the folder is refused. */
export const WALK_MAX_ENTRIES = 200_000;
export const WALK_MAX_DEPTH = 64;
/** Most special files hidden in one container (each is one mount). */
export const MASK_MAX = 100;

export type EntryKind = "dir" | "file" | "symlink" | "fifo" | "socket" | "device";

/** One entry: its kind (not following links), its host path and its path in the container. */
export interface WalkEntry {
  kind: EntryKind;
  host: string;
  target: string;
}

/** What the sandbox is told about a special file (the same words for copies and masks). */
export const SPECIAL_REASON: Record<"fifo" | "socket" | "device", string> = {
  fifo: "a FIFO, not a regular file",
  socket: "a socket, not a regular file",
  device: "a device, not a regular file",
};

function kindOf(e: Dirent | Stats): EntryKind | undefined {
  if (e.isDirectory()) return "dir";
  if (e.isFile()) return "file";
  if (e.isSymbolicLink()) return "symlink";
  if (e.isFIFO()) return "fifo";
  if (e.isSocket()) return "socket";
  if (e.isCharacterDevice() || e.isBlockDevice()) return "device";
  return undefined;
}

/**
 * Visits every entry under `f.host` in name order, never following links. A directory bridge cannot
 * read goes to `unreadable` (with the error code) and is skipped. Throws SANDBOX_FAILED past
 * WALK_MAX_ENTRIES entries or WALK_MAX_DEPTH levels.
 */
export function walkFolder(
  f: Folder,
  visit: (e: WalkEntry) => void,
  unreadable: (target: string, code: string) => void,
  limits = { entries: WALK_MAX_ENTRIES, depth: WALK_MAX_DEPTH },
): void {
  const targetOf = (host: string) => `${f.mount}/${relative(f.host, host).split(sep).join("/")}`.replace(/\/$/, "");
  let entries = 0;
  const walk = (dir: string, depth: number) => {
    let list: Dirent[];
    try {
      list = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (err) {
      unreadable(targetOf(dir), (err as NodeJS.ErrnoException).code ?? (err as Error).message);
      return;
    }
    for (const d of list) {
      if (++entries > limits.entries || depth > limits.depth)
        throw new BridgeError(
          "SANDBOX_FAILED",
          `the allowed folder ${f.host} holds more than ${limits.entries} entries or is nested deeper than ${limits.depth} levels: bridge checks every allowed folder for FIFOs, sockets and devices before each sandbox container starts`,
          { hint: "Allow a smaller folder or a subfolder (MCP_BRIDGE_FOLDERS)." },
        );
      const host = join(dir, d.name);
      let kind = kindOf(d);
      if (!kind) {
        // The file system did not give the type with the name (DT_UNKNOWN): ask.
        try {
          kind = kindOf(lstatSync(host));
        } catch {
          continue; // gone since the listing
        }
      }
      if (!kind) continue;
      visit({ kind, host, target: targetOf(host) });
      if (kind === "dir") walk(host, depth + 1);
    }
  };
  walk(f.host, 1);
}

/** What hides the special files of bind-mounted folders: engine flags, and the reasons for the sandbox's guard. */
export interface Masks {
  mounts: string[];
  refused: Record<string, string>;
}

/**
 * Finds every FIFO, socket and device in the folders and returns `--volume EMPTY:TARGET:ro` for
 * each. Throws SANDBOX_FAILED, naming a few, when there are more than MASK_MAX or a name cannot
 * be given to the engine (':' separates `--volume` fields; control characters).
 */
export function maskSpecialFiles(folders: Folders, emptyFile: string): Masks {
  const masks: Masks = { mounts: [], refused: {} };
  for (const f of folders.read) {
    const found: string[] = [];
    const unnameable: string[] = [];
    walkFolder(
      f,
      (e) => {
        if (e.kind !== "fifo" && e.kind !== "socket" && e.kind !== "device") return;
        // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
        if (/[:\x00-\x1f\x7f]/.test(e.target)) unnameable.push(e.host);
        found.push(e.host);
        masks.refused[e.target] = SPECIAL_REASON[e.kind];
        masks.mounts.push("--volume", `${emptyFile}:${e.target}:ro`);
      },
      // Not listable by bridge (the folder's owner, or root): not by the sandbox's user (an "other") either.
      () => {},
    );
    const few = (list: string[]) =>
      list
        .slice(0, 3)
        .map((p) => JSON.stringify(p))
        .join(", ") + (list.length > 3 ? ", ..." : "");
    if (unnameable.length)
      throw new BridgeError(
        "SANDBOX_FAILED",
        `the allowed folder ${f.host} holds FIFOs, sockets or devices whose names bridge cannot hide from the sandbox (':' or a control character): ${few(unnameable)}`,
        { hint: "Rename or remove them, or allow a subfolder without them (MCP_BRIDGE_FOLDERS)." },
      );
    if (masks.mounts.length / 2 > MASK_MAX)
      throw new BridgeError(
        "SANDBOX_FAILED",
        `the allowed folder ${f.host} holds ${found.length} FIFOs, sockets or devices (${few(found)}); bridge hides each from the sandbox with its own mount and stops at ${MASK_MAX} in all`,
        {
          hint: "Remove them, or allow a subfolder without them (MCP_BRIDGE_FOLDERS): a socket directory of a running service does not belong in a data folder.",
        },
      );
  }
  return masks;
}

/** The empty, read-only file that masks special files: `empty` in `dir` (bridge's private engine directory). */
export function emptyFileIn(dir: string): string {
  const path = join(dir, "empty");
  try {
    const st = lstatSync(path);
    if (st.isFile() && st.size === 0) return path;
  } catch {}
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, "", { mode: 0o444 });
  chmodSync(tmp, 0o444);
  renameSync(tmp, path);
  return path;
}
