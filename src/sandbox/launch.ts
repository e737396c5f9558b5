/**
 * What a sandbox container is started with. `prepareEngine` checks once per service what every
 * container needs (engine, image, allowed folders, rlimits); `launchPlan` turns that into one
 * container's `run` argv, its runtime `init` and, for a remote engine, the folders' files to copy in.
 * Used by SandboxService (service.ts).
 */
import type { ConsolaInstance } from "consola";
import type { Config } from "../config/index.ts";
import { BridgeError, describeError } from "../errors.ts";
import { buildRunArgv } from "./argv.ts";
import { type DataCopy, engineWorkDir, type RuntimeInit } from "./container.ts";
import { detectEngine, type EngineDeps, type EngineInfo, ensureImage, requireImage } from "./engine.ts";
import type { SandboxExtension } from "./extension.ts";
import { emptyFileIn, type Masks, maskSpecialFiles } from "./folder-walk.ts";
import { copyFolders, DATA_ROOT, type Folders, mountArgs, REMOTE_COPY_MAX_BYTES, resolveFolders } from "./folders.ts";
import { hostRlimits, type SandboxRlimits } from "./rlimits.ts";
import { seccompOption } from "./seccomp.ts";
import { warmSpec } from "./warm.ts";

/** Why memory/pids/CPU caps do not hold on some hosts, and what to do (also shown by doctor). */
export const UNENFORCED_LIMITS = {
  what: "rootless containers on this cgroup v1 host cannot have memory, pids or CPU limits (the engine ignores MCP_BRIDGE_MEMORY, MCP_BRIDGE_PIDS and MCP_BRIDGE_CPUS)",
  fix: "switch the host to cgroup v2, or run podman as root or docker, to enforce them",
} as const;

/** What the service learns once per engine: the engine, the rlimits to set, the allowed folders. */
export interface EngineSetup {
  engine: EngineInfo;
  rlimits: SandboxRlimits;
  folders: Folders;
}

/** What prepareEngine needs: engine I/O, whether a missing image may be pulled, a log for warnings. */
export interface PrepareDeps {
  engine: EngineDeps;
  /** Pull a missing image (default); false: fail with IMAGE_MISSING instead (serve). */
  pullImage?: boolean;
  log: ConsolaInstance;
}

/**
 * Detects the engine, checks (or pulls) the image, resolves the allowed folders and the rlimits.
 * Throws BridgeError: ENGINE_NOT_FOUND / ENGINE_FAILED, IMAGE_MISSING, CONFIG_INVALID (folders
 * without no-new-privileges on a local engine: the runtime's syscall filter needs it; a read-write
 * folder on a remote engine, which gets copies and so could not keep what code writes).
 */
export async function prepareEngine(config: Config, deps: PrepareDeps): Promise<EngineSetup> {
  const folders = resolveFolders(config);
  const engine = await detectEngine(config, deps.engine);
  const writable = folders.read.filter((f) => f.writable);
  if (engine.remote && writable.length)
    throw new BridgeError(
      "CONFIG_INVALID",
      `MCP_BRIDGE_FOLDERS: ${writable.map((f) => f.host).join(", ")} ${writable.length > 1 ? "are" : "is"} allowed read-write, but the container engine is remote (${engine.name}${engine.name === "podman" ? " through CONTAINER_HOST, podman-remote or a podman machine" : " through DOCKER_HOST or a VM"}): it cannot mount this machine's folders, so bridge copies them into each container and writes there would be lost`,
      {
        hint: "Allow the folder read-only (drop ':rw') and let code write results to /output (MCP_BRIDGE_OUTPUT_FOLDER saves them on this machine), or use a local engine.",
      },
    );
  if (deps.pullImage === false) await requireImage(engine, config.image, deps.engine);
  else
    await ensureImage(engine, config.image, deps.engine, () =>
      deps.log.info(`sandbox: pulling ${config.image} (first use)...`),
    );
  if (!engine.remote && folders.read.length && !config.noNewPrivileges)
    throw new BridgeError(
      "CONFIG_INVALID",
      `MCP_BRIDGE_FOLDERS cannot be used with MCP_BRIDGE_NO_NEW_PRIVILEGES=false: without no-new-privileges the sandbox's own syscall filter cannot be installed, and it is what keeps sandbox code from connecting to host unix sockets in the mounted folders`,
      {
        hint: "Remove MCP_BRIDGE_NO_NEW_PRIVILEGES=false, or MCP_BRIDGE_FOLDERS.",
      },
    );
  const rlimits = hostRlimits(deps.engine, engine.remote);
  if (!engine.limitsEnforced) {
    // The pids cap still holds as an rlimit (per user: shared by all sandboxes, which is stricter).
    rlimits.nproc = Math.min(rlimits.nproc, config.pids);
    deps.log.warn(
      `sandbox: ${UNENFORCED_LIMITS.what}; ${UNENFORCED_LIMITS.fix}. bridge caps processes with an nproc rlimit of ${rlimits.nproc} instead.`,
    );
  }
  return { engine, rlimits, folders };
}

/** One container's start: argv, runtime init, folder copies (remote engines), and what was decided. */
export interface LaunchPlan {
  argv: string[];
  init: RuntimeInit;
  data?: DataCopy & { bytes: number };
  /** Allowed folders are bind-mounted (local engine): the runtime's syscall filter is then required. */
  mounted: boolean;
  /** bridge's seccomp profile path, or undefined for the engine's own. */
  seccompProfile?: string;
}

/**
 * The plan for container `name`. A remote engine cannot mount this host's folders, so their files
 * are copied into a tmpfs instead; mounted folders get their FIFOs, sockets and devices masked.
 * Throws BridgeError SANDBOX_FAILED when bridge's private files (seccomp profile, mask) cannot be written.
 */
export function launchPlan(
  config: Config,
  setup: EngineSetup,
  extensions: SandboxExtension[],
  name: string,
  ownerPid: number,
  ociRuntime: string | undefined,
): LaunchPlan {
  const { engine, rlimits, folders } = setup;
  let seccompProfile: string | undefined;
  try {
    seccompProfile = seccompOption(config.seccomp, engine, engineWorkDir);
  } catch (err) {
    throw new BridgeError("SANDBOX_FAILED", `could not write bridge's seccomp profile: ${describeError(err)}`, {
      hint: "Make TMPDIR writable, or set MCP_BRIDGE_SECCOMP=engine to use the engine's own profile.",
    });
  }
  const copied = engine.remote && folders.read.length > 0;
  const mounted = !engine.remote && folders.read.length > 0;
  const masks = mounted ? specialFileMasks(folders) : undefined;
  const mounts = copied
    ? ["--tmpfs", `${DATA_ROOT}:rw,nosuid,nodev,size=${REMOTE_COPY_MAX_BYTES},mode=1777`]
    : [...mountArgs(folders, engine.name), ...(masks?.mounts ?? [])];
  const argv = buildRunArgv(config, {
    engine: engine.name,
    binary: engine.binary,
    ociRuntime,
    name,
    ownerPid,
    rlimits,
    mounts,
    seccompProfile,
  });
  const data = copied ? remoteDataCopy(setup) : undefined;
  return { argv, init: runtimeInit(config, extensions, folders, masks), data, mounted, seccompProfile };
}

/** The allowed folders' files for a remote engine's container (read afresh for every start and reset), else undefined. */
export function remoteDataCopy(setup: EngineSetup): (DataCopy & { bytes: number }) | undefined {
  return setup.engine.remote && setup.folders.read.length ? copyFolders(setup.folders) : undefined;
}

/**
 * Bind-mounted folders only: the `init` asks the runtime to refuse unix sockets (a read-only mount
 * does not stop connect()), with a read-write folder also mknod and symlink (no FIFO or link
 * planted there for host programs), and tells its guard which special files are masked and why.
 */
function runtimeInit(config: Config, extensions: SandboxExtension[], folders: Folders, masks?: Masks): RuntimeInit {
  const modules: Record<string, string> = {};
  for (const ext of extensions) Object.assign(modules, ext.modules);
  const mounted = masks
    ? {
        denyUnixSockets: true,
        ...(folders.read.some((f) => f.writable) ? { denyPlanting: true } : {}),
        refused: masks.refused,
      }
    : {};
  return {
    modules,
    preludes: extensions.map((e) => e.prelude),
    warm: warmSpec(config.warmImports),
    folders: folders.read,
    ...mounted,
  };
}

/** FIFOs, sockets and devices in bind-mounted folders, hidden behind an empty read-only file (folder-walk.ts). */
function specialFileMasks(folders: Folders): Masks {
  let empty: string;
  try {
    empty = emptyFileIn(engineWorkDir());
  } catch (err) {
    throw new BridgeError(
      "SANDBOX_FAILED",
      `could not write the empty file that hides FIFOs and sockets of allowed folders: ${describeError(err)}`,
      { hint: "Make TMPDIR writable." },
    );
  }
  return maskSpecialFiles(folders, empty);
}
