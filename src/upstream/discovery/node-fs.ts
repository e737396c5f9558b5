/** The real file system behind DiscoveryFs, with a size cap so a huge file cannot stall discovery. */
import { constants } from "node:fs";
import { access, readdir, readFile, stat } from "node:fs/promises";
import type { DiscoveryFs } from "./index.ts";

/** Config files larger than this are reported and skipped. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

const missing = (err: unknown) => ["ENOENT", "ENOTDIR"].includes((err as NodeJS.ErrnoException).code ?? "");

/** DiscoveryFs on the local disk. */
export const nodeDiscoveryFs: DiscoveryFs = {
  async readFile(path) {
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
    if (info.isDirectory()) return undefined;
    // A FIFO or device would block or never end.
    if (!info.isFile()) throw new Error("not a regular file");
    if (info.size > MAX_CONFIG_BYTES) throw new Error(`file is ${info.size} bytes, larger than the ${MAX_CONFIG_BYTES}-byte limit for config files`);
    return readFile(path, "utf8");
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
};
