/**
 * Runs Python code against sandbox extensions on the host (python3, no container): the extension's
 * modules and preludes are installed like the sandbox does and `_bridge` calls reach the real host
 * methods. For fast tests of the Python helpers; the e2e tests cover the real sandbox.
 */
import { resolve } from "node:path";
import type { SandboxExtension } from "../../src/sandbox/extension.ts";

export const hasPython = Bun.which("python3") !== null;

/** Runs one cell; resolves with its stderr (user prints) and the error text when it raised. */
export async function runPython(
  extensions: SandboxExtension[],
  code: string,
  servers: string[] = [],
): Promise<{ ok: boolean; output: string; error?: string }> {
  const ac = new AbortController();
  const contexts = await Promise.all(extensions.map((e) => e.prepare({ servers }, ac.signal)));
  const methods = Object.assign({}, ...extensions.map((e) => e.methods));
  const proc = Bun.spawn(["python3", resolve(import.meta.dir, "upstream-pyhost.py")], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  const write = (msg: unknown) => {
    proc.stdin.write(`${JSON.stringify(msg)}\n`);
    proc.stdin.flush();
  };
  write({
    modules: Object.assign({}, ...extensions.map((e) => e.modules)),
    preludes: extensions.map((e) => e.prelude),
    contexts,
    code,
  });
  const stderr = new Response(proc.stderr).text();
  let done: { ok: boolean; error?: string } | undefined;
  let buf = "";
  const decoder = new TextDecoder();
  for await (const chunk of proc.stdout) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const msg = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (msg.t === "done") done = msg;
      else if (msg.t === "call") {
        const method = methods[msg.method];
        Promise.resolve()
          .then(() =>
            method
              ? method(msg.params, { signal: ac.signal, servers })
              : Promise.reject(new Error(`no host method ${msg.method}`)),
          )
          .then(
            (value) => write({ cid: msg.cid, ok: true, value: value ?? null }),
            (err: Error) => write({ cid: msg.cid, ok: false, error: err.message }),
          );
      }
    }
    if (done) break;
  }
  proc.stdin.end();
  ac.abort();
  await proc.exited;
  return { ok: done?.ok ?? false, output: await stderr, error: done?.error };
}
