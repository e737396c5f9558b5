/**
 * Runs a program with a pseudo-terminal as its stdin (as when a person types `bridge serve` in a
 * terminal) and pipes for stdout and stderr, so a test can tell which stream a message went to.
 * The pty comes from Python's `pty` module (Bun has no openpty); the helper prints one JSON line.
 */
const HELPER = String.raw`
import json, os, pty, subprocess, sys
timeout, argv = float(sys.argv[1]), sys.argv[2:]
master, slave = pty.openpty()
p = subprocess.Popen(argv, stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
os.close(slave)
try:
    out, err = p.communicate(timeout=timeout)
    code = p.returncode
except subprocess.TimeoutExpired:
    p.kill()
    out, err = p.communicate()
    code = None
print(json.dumps({"code": code, "stdout": out.decode(errors="replace"), "stderr": err.decode(errors="replace")}))
`;

export interface TtyResult {
  /** Exit code, or null when the program was still running at the timeout and was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs argv with a terminal on stdin; kills it after `timeoutS` seconds. */
export async function runWithTtyStdin(argv: string[], env: Record<string, string>, timeoutS = 20): Promise<TtyResult> {
  const p = Bun.spawn(["python3", "-c", HELPER, String(timeoutS), ...argv], { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`pty helper failed (exit ${code}): ${err}`);
  return JSON.parse(out) as TtyResult;
}
