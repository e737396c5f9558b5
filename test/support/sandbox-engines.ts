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

/** A podman API service on a unix socket: a remote engine for bridge, reached through CONTAINER_HOST. */
export interface PodmanService {
  /** `unix://<socket>`, the value for CONTAINER_HOST and `podman --url`. */
  url: string;
  stop(): Promise<void>;
}

/** Starts `podman system service` on `socket` and waits (up to 20 s) until it answers; throws if it does not. */
export async function startPodmanService(socket: string): Promise<PodmanService> {
  const url = `unix://${socket}`;
  const proc = Bun.spawn(["podman", "system", "service", "--time", "0", url], { stdout: "ignore", stderr: "ignore" });
  const stop = async () => {
    proc.kill();
    await proc.exited;
  };
  const up = await waitFor(
    () => Bun.spawnSync(["podman", "--url", url, "version"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0,
    20_000,
  );
  if (!up) {
    await stop();
    throw new Error("podman system service did not come up");
  }
  return { url, stop };
}
