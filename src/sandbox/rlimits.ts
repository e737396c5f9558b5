/**
 * Resource limits for sandbox containers. Engines apply their own default rlimits, which can exceed
 * the host's hard limits (then the container fails to start: "setrlimit RLIMIT_NOFILE: Operation not
 * permitted"). bridge always sets them explicitly, capped to the hard limits it can see.
 */

/** The rlimits bridge sets in every sandbox container. */
export interface SandboxRlimits {
  nofile: number;
  nproc: number;
}

/** What bridge asks for when the host allows it. */
export const WANTED_RLIMITS: SandboxRlimits = { nofile: 4096, nproc: 4096 };

/** Hard limits parsed from /proc/self/limits text; undefined when a row is missing or unlimited. */
export function parseHardLimits(text: string): { nofile?: number; nproc?: number } {
  const row = (label: string): number | undefined => {
    const line = text.split("\n").find((l) => l.startsWith(label));
    if (!line) return undefined;
    // Columns: name (may contain spaces), soft, hard, units.
    const cols = line.slice(label.length).trim().split(/\s+/);
    const hard = cols[1];
    if (!hard || hard === "unlimited") return undefined;
    const n = Number(hard);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  };
  return { nofile: row("Max open files"), nproc: row("Max processes") };
}

/** The wanted limits, each lowered to the host's hard limit when that is known. */
export function capRlimits(
  hard: { nofile?: number; nproc?: number },
  wanted: SandboxRlimits = WANTED_RLIMITS,
): SandboxRlimits {
  return {
    nofile: Math.min(wanted.nofile, hard.nofile ?? Infinity),
    nproc: Math.min(wanted.nproc, hard.nproc ?? Infinity),
  };
}

/**
 * Limits for this host: read from `/proc/self/limits` when the engine is local (a remote engine's
 * limits are not visible here; the wanted values are modest enough for any ordinary host).
 */
export function hostRlimits(deps: { readFile: (path: string) => string | undefined }, remote: boolean): SandboxRlimits {
  if (remote) return { ...WANTED_RLIMITS };
  const text = deps.readFile("/proc/self/limits");
  return capRlimits(text ? parseHardLimits(text) : {});
}
