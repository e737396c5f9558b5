/**
 * Host folders the user allowed (MCP_BRIDGE_FOLDERS, at /data/<name>: read-only, or read-write with a
 * `:rw` suffix; MCP_BRIDGE_OUTPUT_FOLDER, where /output files are saved). Checked once per engine
 * start: real directories, never bridge's own root (the queue secret lives there), names unique, a
 * read-write folder never overlapping the output folder. On a local engine they are bind-mounted;
 * a remote engine cannot see host paths, so their files are copied over the channel into a tmpfs
 * at every container start and reset, with links out of the folder and special files refused
 * (listed, so the sandbox can say why) — read-only folders only: writes could not come back.
 */
import { realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, isAbsolute, join, sep } from "node:path";
import type { Config } from "../config/index.ts";
import { BridgeError } from "../errors.ts";
import type { EngineName } from "./argv.ts";
import { FileRefusedError, readRegularFileBytes } from "../fs/read.ts";
import { SPECIAL_REASON, walkFolder, type WalkEntry } from "./folder-walk.ts";

/** Where allowed folders appear in the sandbox, and where code writes result files. */
export const DATA_ROOT = "/data";
export const OUTPUT_DIR = "/output";
/** Most bytes and files copied into a remote engine's containers (they live in tmpfs, i.e. memory). */
export const REMOTE_COPY_MAX_BYTES = 128 * 1024 * 1024;
export const REMOTE_COPY_MAX_FILES = 5000;

/** One allowed folder: its name in the sandbox, the real host path, its mount point, and whether code may write it. */
export interface Folder {
  name: string;
  host: string;
  mount: string;
  writable: boolean;
}

export interface Folders {
  /** Every allowed folder (read-only and read-write). */
  read: Folder[];
  /** Real path of the folder /output files are saved to, if the user allowed one. */
  output?: string;
}

/** `~` and `~/x` → the home directory. */
export function expandHome(path: string, home = homedir()): string {
  return path === "~" ? home : path.startsWith("~/") ? join(home, path.slice(2)) : path;
}

/** The access suffixes an MCP_BRIDGE_FOLDERS entry may end with (the engines' own `-v` words). */
const ACCESS = { ro: false, rw: true } as const;

/**
 * One MCP_BRIDGE_FOLDERS entry → its path and whether it is read-write: `PATH`, `PATH:ro` or
 * `PATH:rw`. Any other `:` stays in the path, which realDir then refuses (engines cannot mount it),
 * saying which suffixes exist.
 */
export function parseFolderEntry(raw: string): { path: string; writable: boolean } {
  const colon = raw.lastIndexOf(":");
  const suffix = raw.slice(colon + 1);
  if (colon >= 0 && Object.hasOwn(ACCESS, suffix))
    return { path: raw.slice(0, colon), writable: ACCESS[suffix as keyof typeof ACCESS] };
  return { path: raw, writable: false };
}

const inside = (child: string, parent: string) =>
  child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);

function realDir(setting: string, raw: string, home?: string): string {
  const path = expandHome(raw, home);
  if (!isAbsolute(path))
    throw new BridgeError("CONFIG_INVALID", `${setting}: "${raw}" is not an absolute path`, {
      hint: "Use an absolute path such as /home/you/data, or ~/data.",
    });
  if (path.includes(":"))
    throw new BridgeError("CONFIG_INVALID", `${setting}: "${raw}" contains ':', which container engines cannot mount`, {
      hint: `Rename the folder, or allow a parent folder without ':'.${setting === "MCP_BRIDGE_FOLDERS" ? ` An entry may end with ":rw" (read-write) or ":ro" (read-only, the default), lower case, e.g. ${raw.slice(0, raw.lastIndexOf(":"))}:rw.` : ""}`,
    });
  let real: string;
  try {
    real = realpathSync(path);
  } catch (err) {
    throw new BridgeError(
      "CONFIG_INVALID",
      `${setting}: ${path} cannot be used: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "it does not exist" : (err as Error).message}`,
      { hint: "Create the folder, or fix the path." },
    );
  }
  if (!statSync(real).isDirectory()) throw new BridgeError("CONFIG_INVALID", `${setting}: ${path} is not a folder`);
  if (real === "/" || ["/proc", "/sys", "/dev", "/run"].some((p) => inside(real, p)))
    throw new BridgeError("CONFIG_INVALID", `${setting}: ${real} cannot be allowed (a system folder)`);
  return real;
}

/**
 * The allowed folders, checked. Throws CONFIG_INVALID naming the setting and the fix: a folder
 * that does not exist, is not a folder, is a system folder, or is (or contains) bridge's root,
 * state directory or token file — code that could read those could forge queue jobs.
 */
export function resolveFolders(
  config: Pick<Config, "folders" | "outputFolder" | "root" | "stateDir" | "tokenFile">,
  home?: string,
): Folders {
  const guarded = [config.root, config.stateDir, config.tokenFile].map((p) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  });
  const check = (setting: string, real: string) => {
    for (const g of guarded) {
      if (inside(g, real) || inside(real, g))
        throw new BridgeError(
          "CONFIG_INVALID",
          `${setting}: ${real} cannot be allowed: it holds bridge's own files (${g}), including the queue secret`,
          { hint: "Allow a folder that neither contains nor lies inside BRIDGE_ROOT." },
        );
    }
  };
  const read: Folder[] = [];
  for (const raw of config.folders) {
    const entry = parseFolderEntry(raw);
    const host = realDir("MCP_BRIDGE_FOLDERS", entry.path, home);
    check("MCP_BRIDGE_FOLDERS", host);
    const name = basename(host);
    const clash = read.find((f) => f.name === name);
    if (clash && clash.host === host && clash.writable !== entry.writable)
      throw new BridgeError("CONFIG_INVALID", `MCP_BRIDGE_FOLDERS: ${host} is listed both read-only and read-write`, {
        hint: `Keep one entry: ${host}:rw to let code write it, ${host} to keep it read-only.`,
      });
    if (clash && clash.host === host) continue;
    if (clash)
      throw new BridgeError(
        "CONFIG_INVALID",
        `MCP_BRIDGE_FOLDERS: ${clash.host} and ${host} would both be ${DATA_ROOT}/${name}`,
        { hint: "Allow folders with different names (a folder appears under its own name)." },
      );
    read.push({ name, host, mount: `${DATA_ROOT}/${name}`, writable: entry.writable });
  }
  let output: string | undefined;
  if (config.outputFolder) {
    output = realDir("MCP_BRIDGE_OUTPUT_FOLDER", config.outputFolder, home);
    check("MCP_BRIDGE_OUTPUT_FOLDER", output);
    // bridge writes result files into the output folder as the user: sandbox code that can also
    // write there could plant links that redirect those writes.
    const out = output;
    const overlap = read.find((f) => f.writable && (inside(f.host, out) || inside(out, f.host)));
    if (overlap)
      throw new BridgeError(
        "CONFIG_INVALID",
        `MCP_BRIDGE_FOLDERS: ${overlap.host} is allowed read-write and ${overlap.host === out ? "is" : inside(out, overlap.host) ? "contains" : "lies inside"} MCP_BRIDGE_OUTPUT_FOLDER (${out}): bridge saves result files there itself, and sandbox code that can write there could plant links that redirect those saves`,
        {
          hint: "Use separate folders for the two (code can write its results straight into the read-write folder), or allow that folder read-only.",
        },
      );
  }
  return { read, ...(output ? { output } : {}) };
}

/**
 * Engine flags that bind-mount the folders (local engines; /data itself stays read-only): `ro`, or
 * `rw` for read-write ones. podman also takes `nosuid,nodev` there; docker's `-v` refuses them (no
 * difference inside the container: no capabilities and no-new-privileges already make set-uid
 * files and device nodes inert).
 */
export function mountArgs(folders: Folders, engine: EngineName): string[] {
  const rw = engine === "podman" ? "rw,nosuid,nodev" : "rw";
  return folders.read.flatMap((f) => ["--volume", `${f.host}:${f.mount}:${f.writable ? rw : "ro"}`]);
}

/** A remote engine's copy of the folders: files to send, and what was refused with the reason. */
export interface FolderCopy {
  files: Array<{ path: string; data: Uint8Array }>;
  refused: Record<string, string>;
  bytes: number;
}

/**
 * Reads every regular file of the folders for a remote engine (no symlink is followed out of a
 * folder; a link to a file inside it is copied as that file; FIFOs, sockets and devices are
 * refused). Throws SANDBOX_FAILED when the folders are larger than a copy may be.
 */
export function copyFolders(folders: Folders): FolderCopy {
  const copy: FolderCopy = { files: [], refused: {}, bytes: 0 };
  const tooBig = () =>
    new BridgeError(
      "SANDBOX_FAILED",
      `the allowed folders (${folders.read.map((f) => f.host).join(", ")}) hold more than ${REMOTE_COPY_MAX_FILES} files or ${REMOTE_COPY_MAX_BYTES / 1048576} MiB: on a remote engine bridge copies them into every sandbox container`,
      {
        hint: "Allow a smaller folder (MCP_BRIDGE_FOLDERS), or use a local engine, where folders are mounted instead of copied.",
      },
    );
  const visit = (f: Folder, e: WalkEntry) => {
    if (e.kind === "dir") return;
    let readFrom = e.host;
    if (e.kind === "symlink") {
      let real: string | undefined;
      try {
        real = realpathSync(e.host);
      } catch {}
      if (!real || !inside(real, f.host)) {
        copy.refused[e.target] = `a symbolic link that leads out of the allowed folder ${f.mount}`;
        return;
      }
      if (!statSync(real).isFile()) {
        copy.refused[e.target] = "a symbolic link to something that is not a regular file";
        return;
      }
      readFrom = real;
    } else if (e.kind !== "file") {
      copy.refused[e.target] = SPECIAL_REASON[e.kind];
      return;
    }
    if (copy.files.length >= REMOTE_COPY_MAX_FILES) throw tooBig();
    let data: Uint8Array | undefined;
    try {
      data = readRegularFileBytes(readFrom, { maxBytes: REMOTE_COPY_MAX_BYTES - copy.bytes, label: e.host });
    } catch (err) {
      if (err instanceof FileRefusedError && err.reason === "too-large") throw tooBig();
      if (err instanceof FileRefusedError) {
        copy.refused[e.target] = err.reason === "symlink" ? "a symbolic link" : "not a regular file";
        return;
      }
      copy.refused[e.target] =
        `not readable by bridge (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
      return;
    }
    if (!data) return;
    copy.bytes += data.length;
    copy.files.push({ path: e.target, data });
  };
  for (const f of folders.read)
    walkFolder(
      f,
      (e) => visit(f, e),
      (target, code) => {
        copy.refused[target] = `not readable by bridge (${code})`;
      },
    );
  return copy;
}
