/**
 * Queue directories that cannot be swapped under a running process. A directory is opened once
 * (O_DIRECTORY | O_NOFOLLOW) and its device/inode recorded; every later use lstat()s the path
 * again and refuses — journaling once, through `onTamper` — when it is no longer that directory
 * (renamed away and replaced by a symlink or another directory). On Linux, files are then reached
 * through `/proc/self/fd/<fd>/<name>`, which the kernel resolves to the directory that was opened,
 * so a swap between the check and the act changes nothing; elsewhere the plain path is used right
 * after the check (a window of one system call remains; see docs/security.md).
 */
import { closeSync, constants, existsSync, fstatSync, fsyncSync, lstatSync, openSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { BridgeError } from "../errors.ts";

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;

/** Whether `/proc/self/fd/<fd>/<name>` reaches files in an open directory (Linux procfs). */
const PROC_FD = process.platform === "linux" && existsSync("/proc/self/fd");

/** Names a queue directory may hold: one path component, no NUL. */
const NAME_RE = /^[^/\0]{1,255}$/;

/** Called once per directory when it was replaced; the caller journals and logs. */
export type TamperHandler = (path: string, why: string) => void;

/** Thrown when a queue directory is not the one recorded at start. */
export class QueueTamperedError extends BridgeError {
  constructor(
    readonly path: string,
    why: string,
  ) {
    super(
      "QUEUE_FAILED",
      `The queue directory ${path} was replaced while bridge was running (${why}); refusing to use it.`,
      {
        hint: "Someone with write access to the queue moved or replaced it. Check the queue folder, then restart the worker and serve.",
      },
    );
  }
}

export class QueueDir {
  private fd: number | undefined;
  private dev = 0;
  private ino = 0;
  private tampered: string | undefined;

  constructor(
    readonly path: string,
    private readonly onTamper: () => TamperHandler | undefined = () => undefined,
  ) {}

  /**
   * Records the directory's identity (opening it). Throws QUEUE_FAILED for a symlink or a
   * non-directory; ENOENT when it does not exist.
   */
  open(accessPath: string = this.path): this {
    if (this.fd !== undefined) return this;
    let fd: number;
    try {
      fd = openSync(accessPath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ELOOP")
        throw new BridgeError(
          "QUEUE_FAILED",
          `${this.path} is a symlink; bridge refuses to use linked queue directories.`,
          { hint: "Replace the link with a real directory." },
        );
      if (code === "ENOTDIR")
        throw new BridgeError("QUEUE_FAILED", `${this.path} is not a directory.`, {
          hint: "Move the file away so bridge can create the directory.",
        });
      throw err;
    }
    const st = fstatSync(fd);
    this.fd = fd;
    this.dev = st.dev;
    this.ino = st.ino;
    return this;
  }

  /** Whether open() succeeded. */
  get isOpen(): boolean {
    return this.fd !== undefined;
  }

  /** Throws QueueTamperedError unless the path is still the directory recorded at open(). */
  check(): void {
    if (this.fd === undefined) this.open();
    if (this.tampered) throw new QueueTamperedError(this.path, this.tampered);
    let why: string | undefined;
    try {
      const st = lstatSync(this.path);
      if (st.isSymbolicLink()) why = "it is now a symlink";
      else if (!st.isDirectory()) why = "it is no longer a directory";
      else if (st.dev !== this.dev || st.ino !== this.ino) why = "it is now a different directory";
    } catch (err) {
      why = `it is gone (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    }
    if (why) {
      this.tampered = why;
      try {
        this.onTamper()?.(this.path, why);
      } catch {
        /* reporting must not hide the refusal */
      }
      throw new QueueTamperedError(this.path, why);
    }
  }

  /** The path of `name` inside this directory, after check(). */
  at(name: string): string {
    if (!NAME_RE.test(name) || name === "." || name === "..")
      throw new BridgeError("QUEUE_FAILED", `Refusing the queue file name ${JSON.stringify(name.slice(0, 80))}.`);
    this.check();
    return PROC_FD ? `/proc/self/fd/${this.fd}/${name}` : join(this.path, name);
  }

  /**
   * A subdirectory, opened through this (checked) directory so a swap of this one cannot redirect
   * it; `onTamper` is shared. Throws like open().
   */
  child(name: string): QueueDir {
    return new QueueDir(join(this.path, name), this.onTamper).open(this.at(name));
  }

  /** The entries of the directory, after check(); [] when it cannot be read. */
  list(): string[] {
    this.check();
    try {
      return readdirSync(PROC_FD ? `/proc/self/fd/${this.fd}` : this.path);
    } catch {
      return [];
    }
  }

  /** fsync()s the directory itself, so a rename or link in it survives a crash. */
  fsync(): void {
    this.check();
    fsyncSync(this.fd!);
  }

  /** Closes the descriptor (e.g. a dead worker's running directory once recovered). */
  close(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = undefined;
    }
  }
}
