/**
 * The file-system operations discovery needs, and their real implementation. Every client config
 * file is read through `readRegularFile` (src/fs/read.ts): non-blocking open, regular files only,
 * size capped before a byte is buffered, so a FIFO named like a config file cannot freeze
 * `serve` or `discover`. Symlinks are followed (dotfile repositories link config files).
 */
import { constants, statSync } from "node:fs";
import { access, readdir, stat } from "node:fs/promises";
import { readRegularFileBytes } from "../../fs/read.ts";

/** Ordinary config files larger than this are refused (reported, skipped). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** Claude Code's `~/.claude.json` is its whole state file (history included): often 15–100 MB. */
export const MAX_CLAUDE_STATE_BYTES = 512 * 1024 * 1024;

export interface DiscoveryFs {
  /** The file's bytes; undefined when it does not exist (or is a directory). Refused or unreadable files throw. */
  readBytes(path: string, maxBytes: number): Promise<Uint8Array | undefined>;
  /** Names of entries in a directory (not paths), or [] when it does not exist. */
  listDir(path: string): Promise<string[]>;
  /** True when `path` is an existing regular file the current user may execute. */
  isExecutable(path: string): Promise<boolean>;
  /** True when `path` is an existing directory. */
  isDirectory(path: string): Promise<boolean>;
  /** True when something exists at `path` (a file, directory or link). */
  exists(path: string): Promise<boolean>;
  /** A string that changes whenever the file changes (device, inode, size, mtime), or undefined when absent; lets callers reuse work on big files. */
  signature?(path: string): Promise<string | undefined>;
}

const missing = (err: unknown) => ["ENOENT", "ENOTDIR"].includes((err as NodeJS.ErrnoException).code ?? "");

/** Reads a text file through `fs` (UTF-8, BOM stripped). */
export async function readText(
  fs: DiscoveryFs,
  path: string,
  maxBytes = MAX_CONFIG_BYTES,
): Promise<string | undefined> {
  const bytes = await fs.readBytes(path, maxBytes);
  return bytes === undefined
    ? undefined
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
        .toString("utf8")
        .replace(/^\uFEFF/, "");
}

/** DiscoveryFs on the local disk. */
export const nodeDiscoveryFs: DiscoveryFs = {
  async readBytes(path, maxBytes) {
    try {
      if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) return undefined;
    } catch (err) {
      if (!missing(err)) throw err;
    }
    return readRegularFileBytes(path, { maxBytes, followSymlinks: true, label: path });
  },
  async listDir(path) {
    try {
      return await readdir(path);
    } catch (err) {
      if (missing(err)) return [];
      throw err;
    }
  },
  async isExecutable(path) {
    try {
      const info = await stat(path);
      if (!info.isFile()) return false;
      if (process.platform === "win32") return true;
      await access(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
  async isDirectory(path) {
    try {
      return (await stat(path)).isDirectory();
    } catch {
      return false;
    }
  },
  async exists(path) {
    try {
      await stat(path);
      return true;
    } catch {
      return false;
    }
  },
  async signature(path) {
    try {
      const s = await stat(path, { bigint: true });
      return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.mode}`;
    } catch {
      return undefined;
    }
  },
};
