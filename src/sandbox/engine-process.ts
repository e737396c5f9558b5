/**
 * The engine client process (`podman|docker run -i`) behind a sandbox container: the injectable
 * `SpawnProcess` seam (tests pass a fake) and the real one via Bun.spawn, run in a private working
 * directory.
 */
import { lstatSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A spawned engine client process with piped stdio. */
export interface ContainerProcess {
  write(data: Uint8Array): Promise<void>;
  closeStdin(): void;
  stdout: AsyncIterable<Uint8Array>;
  /** stderr text so far (engine errors such as a failed start). */
  stderr(): string;
  exited: Promise<number>;
  kill(): void;
}
export type SpawnProcess = (argv: string[]) => ContainerProcess;

let engineDir: string | undefined;

/**
 * The working directory of `podman|docker run`: never the user's cwd (for serve, a project
 * directory), because podman's conmon drops an `oom` file in its working directory when a container
 * is OOM-killed. One private directory per user (0700, checked to be ours and not a link), so
 * crashed processes leave nothing to pile up; a fresh temporary one if that cannot be had.
 */
export function engineWorkDir(): string {
  if (engineDir) return engineDir;
  const uid = process.getuid?.() ?? 0;
  const shared = join(tmpdir(), `bridge-engine-${uid}`);
  try {
    mkdirSync(shared, { mode: 0o700 });
  } catch {}
  try {
    const st = lstatSync(shared);
    if (st.isDirectory() && !st.isSymbolicLink() && st.uid === uid && (st.mode & 0o077) === 0)
      return (engineDir = shared);
  } catch {}
  const own = mkdtempSync(join(tmpdir(), "bridge-engine-"));
  process.once("exit", () => rmSync(own, { recursive: true, force: true }));
  return (engineDir = own);
}

/** Real process via Bun.spawn. */
export const spawnProcess: SpawnProcess = (argv) => {
  const proc = Bun.spawn(argv, { cwd: engineWorkDir(), stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  let err = "";
  void (async () => {
    const dec = new TextDecoder();
    for await (const c of proc.stderr as ReadableStream<Uint8Array>)
      if (err.length < 65536) err += dec.decode(c, { stream: true });
  })().catch(() => {});
  let writing = Promise.resolve();
  return {
    write: (data) =>
      (writing = writing.then(async () => {
        proc.stdin.write(data);
        await proc.stdin.flush();
      })),
    closeStdin: () => {
      try {
        void proc.stdin.end();
      } catch {}
    },
    stdout: proc.stdout as ReadableStream<Uint8Array>,
    stderr: () => err,
    exited: proc.exited,
    kill: () => proc.kill("SIGKILL"),
  };
};
