/**
 * Test helpers for the sandbox: which container engines are usable here, and what containers of a
 * given bridge process (by owner label) or id still exist.
 */
export type Engine = "podman" | "docker";

/** An engine is usable when its CLI is on PATH and answers (docker: its daemon too). */
export function engineUsable(engine: Engine): boolean {
  if (!Bun.which(engine)) return false;
  const format = engine === "podman" ? "{{.Client.Version}}" : "{{.Server.Version}}";
  return Bun.spawnSync([engine, "version", "--format", format], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
}

/** Both engines with whether they can be tested, for parametrized describe blocks. */
export const ENGINES: Array<{ engine: Engine; usable: boolean }> = (["podman", "docker"] as const).map((engine) => ({
  engine,
  usable: engineUsable(engine),
}));

function ps(engine: Engine, filter: string): string[] {
  const r = Bun.spawnSync([engine, "ps", "-a", "--filter", filter, "--format", "{{.ID}} {{.Names}}"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`${engine} ps failed: ${r.stderr.toString()}`);
  return r.stdout
    .toString()
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Containers (any state) labelled as owned by this bridge pid. */
export function containersOwnedBy(engine: Engine, pid: number): string[] {
  return ps(engine, `label=io.bridge.owner=${pid}`);
}

/** Containers (any state) whose id starts with `id` (a container's hostname is its short id). */
export function containersWithId(engine: Engine, id: string): string[] {
  return ps(engine, `id=${id}`);
}

/** Polls `check` until it returns true or `ms` passes; returns the last result. */
export async function waitFor(check: () => boolean, ms: number, stepMs = 200): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await Bun.sleep(stepMs);
  }
  return check();
}
