/**
 * Builds the container engine command line for one sandbox container: hardening flags from the
 * config, explicit rlimits, labels that make leftovers findable, and the `python3 -c` bootstrap that
 * reads the runtime from stdin (so no host directory is ever mounted).
 */
import type { Config } from "../config/index.ts";
import type { SandboxRlimits } from "./rlimits.ts";

/** Label on every sandbox container; its value is the owning bridge process id. */
export const OWNER_LABEL = "io.bridge.owner";
/** Label marking a container as a bridge sandbox (for `ps --filter label=...`). */
export const SANDBOX_LABEL = "io.bridge.sandbox";

/** Reads a 4-byte length, then that many bytes of runtime source, from stdin and runs them. */
export const BOOTSTRAP = [
  "import os",
  "def r(n):",
  " b=b''",
  " while len(b)<n:",
  "  c=os.read(0,n-len(b))",
  "  if not c:raise SystemExit('bridge: the runtime was not sent on stdin')",
  "  b+=c",
  " return b",
  "exec(compile(r(int.from_bytes(r(4),'big')),'<bridge-runtime>','exec'))",
].join("\n");

export type EngineName = "podman" | "docker";

/** Everything that varies per container besides the config. */
export interface ContainerArgs {
  engine: EngineName;
  binary: string;
  /** OCI runtime (`runc`, `crun`), or undefined for the engine's default. */
  ociRuntime?: string;
  name: string;
  ownerPid: number;
  rlimits: SandboxRlimits;
  /** Engine flags for allowed folders (src/sandbox/folders.ts): bind mounts, or a tmpfs for copies. */
  mounts?: string[];
  /** Path of the seccomp profile (`--security-opt seccomp=`); undefined: the engine's default. */
  seccompProfile?: string;
}

type SandboxConfig = Pick<
  Config,
  | "image"
  | "network"
  | "readOnly"
  | "capDrop"
  | "noNewPrivileges"
  | "containerUser"
  | "memory"
  | "pids"
  | "cpus"
  | "tmpfsSize"
>;

/** The full argv (binary first) that starts one sandbox container attached to stdin/stdout. */
export function buildRunArgv(config: SandboxConfig, a: ContainerArgs): string[] {
  const argv = [a.binary];
  // podman takes --runtime as a global flag; docker as a `run` flag.
  if (a.ociRuntime && a.engine === "podman") argv.push("--runtime", a.ociRuntime);
  argv.push("run", "-i", "--rm", "--name", a.name);
  if (a.ociRuntime && a.engine === "docker") argv.push("--runtime", a.ociRuntime);
  argv.push("--label", `${OWNER_LABEL}=${a.ownerPid}`, "--label", `${SANDBOX_LABEL}=1`);
  // The channel runs over stdout: never copy it into a log file.
  argv.push("--log-driver", "none", "--pull", "never");
  argv.push("--network", config.network);
  if (config.readOnly) {
    argv.push("--read-only");
    if (a.engine === "podman") argv.push("--read-only-tmpfs=false");
  }
  // /output: files code writes there come back as results (src/sandbox/result-files.ts).
  for (const dir of ["/tmp", "/workspace", "/output"])
    argv.push("--tmpfs", `${dir}:rw,nosuid,nodev,size=${config.tmpfsSize},mode=1777`);
  if (a.mounts) argv.push(...a.mounts);
  argv.push("--workdir", "/workspace");
  if (config.capDrop) argv.push("--cap-drop", config.capDrop);
  if (config.noNewPrivileges) argv.push("--security-opt", "no-new-privileges");
  if (a.seccompProfile) argv.push("--security-opt", `seccomp=${a.seccompProfile}`);
  argv.push("--user", config.containerUser);
  argv.push("--memory", config.memory, "--memory-swap", config.memory);
  if (config.pids > 0) argv.push("--pids-limit", String(config.pids));
  if (config.cpus !== undefined) argv.push("--cpus", String(config.cpus));
  argv.push(
    "--ulimit",
    `nofile=${a.rlimits.nofile}:${a.rlimits.nofile}`,
    "--ulimit",
    `nproc=${a.rlimits.nproc}:${a.rlimits.nproc}`,
  );
  // No POSIX message queues: their contents would outlive a call in a reused container, and their
  // per-uid quota is shared by every sandbox (a covert channel). Python does not need them.
  argv.push("--ulimit", "msgqueue=0:0");
  const env = {
    HOME: "/workspace",
    MPLBACKEND: "module://_bridge_mpl",
    MPLCONFIGDIR: "/tmp/.matplotlib",
    PYTHONDONTWRITEBYTECODE: "1",
    PYTHONUNBUFFERED: "1",
  };
  for (const [k, v] of Object.entries(env)) argv.push("--env", `${k}=${v}`);
  argv.push(config.image, "python3", "-c", BOOTSTRAP);
  return argv;
}

/** argv that force-removes containers by name (kills them first). */
export function buildRemoveArgv(engine: EngineName, binary: string, names: string[]): string[] {
  return engine === "podman" ? [binary, "rm", "-f", "-t", "0", "--ignore", ...names] : [binary, "rm", "-f", ...names];
}

/** argv that SIGKILLs containers (their `run --rm` client then removes them). */
export function buildKillArgv(binary: string, names: string[]): string[] {
  return [binary, "kill", "-s", "KILL", ...names];
}
