/**
 * The queue secret: `BRIDGE_TOKEN`, else the 0600 token file (`BRIDGE_TOKEN_FILE`, default
 * `<root>/token`) that `bridge worker --init` creates. A token file others can read is refused.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, fsyncSync, unlinkSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import type { Config } from "../config/index.ts";
import { BridgeError } from "../errors.ts";
import { writeAll } from "../fs/write.ts";
import { ensurePrivateDir } from "./fsutil.ts";

const MIN_TOKEN_LENGTH = 32;
const INIT_HINT =
  "Run `bridge worker --init` on the host, then give serve the secret: env BRIDGE_TOKEN=<token>, or BRIDGE_TOKEN_FILE=<path of the token file>.";

function checkToken(token: string, source: string): string {
  const t = token.trim();
  if (t.length < MIN_TOKEN_LENGTH) {
    throw new BridgeError(
      "AUTH_FAILED",
      `The queue token from ${source} is too short (${t.length} characters; at least ${MIN_TOKEN_LENGTH}).`,
      { hint: INIT_HINT },
    );
  }
  return t;
}

/** The secret, from the environment or the token file. Throws AUTH_FAILED with the fix. */
export function readSecret(config: Pick<Config, "token" | "tokenFile">): string {
  if (config.token) return checkToken(config.token, "BRIDGE_TOKEN");
  let fd: number;
  try {
    // Non-blocking: a FIFO named like the token file must not freeze serve or the worker.
    fd = openSync(config.tokenFile, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw new BridgeError(
        "AUTH_FAILED",
        `No queue token: ${config.tokenFile} does not exist and BRIDGE_TOKEN is not set.`,
        { hint: INIT_HINT },
      );
    if (code === "ELOOP")
      throw new BridgeError("AUTH_FAILED", `The token file ${config.tokenFile} is a symlink; refused.`, {
        hint: "Point BRIDGE_TOKEN_FILE at the real file.",
      });
    throw new BridgeError("AUTH_FAILED", `Cannot read the token file ${config.tokenFile}: ${(err as Error).message}`, {
      hint: INIT_HINT,
    });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      throw new BridgeError("AUTH_FAILED", `The token file ${config.tokenFile} is not a regular file.`, {
        hint: INIT_HINT,
      });
    if (st.size > 4096)
      throw new BridgeError("AUTH_FAILED", `The token file ${config.tokenFile} is ${st.size} bytes; a token is 65.`, {
        hint: INIT_HINT,
      });
    if (st.mode & 0o077) {
      throw new BridgeError(
        "AUTH_FAILED",
        `The token file ${config.tokenFile} is readable by others (mode ${(st.mode & 0o777).toString(8)}).`,
        { hint: `Run: chmod 600 ${config.tokenFile}` },
      );
    }
    return checkToken(readFileSync(fd, "utf8"), config.tokenFile);
  } finally {
    closeSync(fd);
  }
}

/** Creates the token file (0600, 256 random bits) unless it exists. */
export function initToken(config: Pick<Config, "tokenFile">): { path: string; created: boolean } {
  ensurePrivateDir(dirname(config.tokenFile));
  let fd: number;
  try {
    fd = openSync(
      config.tokenFile,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return { path: config.tokenFile, created: false };
    throw err;
  }
  try {
    writeAll(fd, `${randomBytes(32).toString("hex")}\n`);
    fsyncSync(fd);
  } catch (err) {
    // A half-written token must not stay behind (the next --init would keep it).
    closeSync(fd);
    try {
      unlinkSync(config.tokenFile);
    } catch {
      /* already gone */
    }
    throw err;
  }
  closeSync(fd);
  return { path: config.tokenFile, created: true };
}
