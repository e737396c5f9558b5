/**
 * How to name this bridge in a hint a person will type: `bridge` when that is what PATH runs,
 * else the running binary's absolute path (Linux's iproute2 ships an unrelated /usr/sbin/bridge,
 * and a release may be installed off PATH). From source (`bun src/main.ts`) it is `bridge`.
 */
import { realpathSync } from "node:fs";
import { basename } from "node:path";

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

/** `bridge`, or the absolute path of the running binary when PATH's `bridge` is another program. */
export function selfCommand(which: (cmd: string) => string | null = Bun.which, execPath = process.execPath): string {
  const name = basename(execPath);
  if (name === "bun" || name === "node") return "bridge";
  const onPath = which("bridge");
  return onPath && real(onPath) === real(execPath) ? "bridge" : execPath;
}
