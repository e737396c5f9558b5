/**
 * Finding and checking the container engine (podman or docker, local or remote). Exported for
 * `bridge doctor`: `detectEngine` says which engine bridge will use, where it was found and how it
 * runs; `checkImage` whether the sandbox image is present. All process and file access goes
 * through `EngineDeps`. The CLI is looked up on PATH, then in the usual install locations
 * (engine-locate.ts), because GUI clients start bridge with a minimal PATH.
 */
import { readFileSync } from "node:fs";
import type { Config } from "../config/index.ts";
import { BridgeError } from "../errors.ts";
import { selfCommand } from "../self.ts";
import type { EngineName } from "./argv.ts";
import { engineFromPath, isExecutableFile, locateCommand, type Located } from "./engine-locate.ts";

/** What bridge knows about the engine it will run sandboxes with. */
export interface EngineInfo {
  name: EngineName;
  /** Absolute path of the engine CLI. */
  binary: string;
  /** How it was found: on PATH, in an install location PATH lacks, or named by MCP_BRIDGE_ENGINE. */
  located: "PATH" | "install-location" | "MCP_BRIDGE_ENGINE";
  version: string;
  rootless: boolean;
  /** True when containers run on another machine or VM (CONTAINER_HOST, DOCKER_HOST, podman machine). */
  remote: boolean;
  /** The OCI runtime passed as --runtime; undefined means the engine's default. */
  ociRuntime?: string;
  /**
   * False when the engine cannot apply cgroup limits (--memory, --pids-limit, --cpus): rootless
   * containers on a cgroup v1 host, where podman ignores them with only a warning.
   */
  limitsEnforced: boolean;
}

/** Result of running a short command. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The I/O detection needs; `defaultEngineDeps()` gives the real ones. */
export interface EngineDeps {
  /** A command's absolute path: PATH first, then the usual install locations (helpers such as runc too). */
  which(command: string): string | null;
  /** Where a command is and whether PATH had it; defaults to `which` (reported as on PATH). */
  locate?(command: string): Located | undefined;
  /** True for an executable regular file (an absolute MCP_BRIDGE_ENGINE). */
  isExecutable?(path: string): boolean;
  exec(argv: string[], opts?: { timeoutMs?: number }): Promise<ExecResult>;
  env: Record<string, string | undefined>;
  platform: string;
  readFile(path: string): string | undefined;
}

/** Real processes, PATH lookup and files. */
export function defaultEngineDeps(env: Record<string, string | undefined> = process.env): EngineDeps {
  const locate = (c: string) => locateCommand(c, { env, platform: process.platform, isExecutable: isExecutableFile });
  return {
    which: (c) => locate(c)?.path ?? null,
    locate,
    isExecutable: isExecutableFile,
    exec: async (argv, opts = {}) => {
      const proc = Bun.spawn(argv, {
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
        timeout: opts.timeoutMs ?? 30_000,
        killSignal: "SIGKILL",
      });
      const [stdout, stderr, exitCode] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      return { exitCode, stdout, stderr };
    },
    env: process.env,
    platform: process.platform,
    readFile: (p) => {
      try {
        return readFileSync(p, "utf8");
      } catch {
        return undefined;
      }
    },
  };
}

const INSTALL_HINT =
  "Install podman (recommended) or docker, or set MCP_BRIDGE_ENGINE to the engine you have (a name, or the absolute path of its CLI).";

/** True when a container start failed because crun cannot handle this host's cgroup setup. */
export function isCrunCgroupError(stderr: string): boolean {
  return /crun:.*cgroups? in hybrid mode not supported|crun:.*cgroup.*not supported/i.test(stderr);
}

function isRemote(name: EngineName, binary: string, env: EngineDeps["env"], platform: string): boolean {
  if (name === "podman") return Boolean(env.CONTAINER_HOST) || /podman-remote$/.test(binary) || platform !== "linux";
  const host = env.DOCKER_HOST ?? "";
  return (host !== "" && !host.startsWith("unix://")) || platform !== "linux";
}

/** Which engine CLI MCP_BRIDGE_ENGINE selects, and where it is. Throws ENGINE_NOT_FOUND / ENGINE_FAILED. */
export async function locateEngine(
  config: Pick<Config, "engine">,
  deps: EngineDeps,
): Promise<{ name: EngineName; binary: string; located: EngineInfo["located"] }> {
  if (config.engine.startsWith("/") || /^[A-Za-z]:[\\/]/.test(config.engine) || config.engine.startsWith("\\\\")) {
    const binary = config.engine;
    if (!(deps.isExecutable ?? isExecutableFile)(binary)) {
      throw new BridgeError("ENGINE_NOT_FOUND", `MCP_BRIDGE_ENGINE is ${binary}, which is not an executable file.`, {
        hint: "Point it at podman or docker (e.g. /opt/homebrew/bin/podman), or set it to auto.",
      });
    }
    let name = engineFromPath(binary);
    if (!name) {
      const v = await deps.exec([binary, "--version"], { timeoutMs: 15_000 });
      name = /podman/i.test(v.stdout) ? "podman" : /docker/i.test(v.stdout) ? "docker" : undefined;
      if (!name)
        throw new BridgeError(
          "ENGINE_FAILED",
          `MCP_BRIDGE_ENGINE is ${binary}, which is neither podman nor docker (\`--version\` said: ${lastLine(v.stdout || v.stderr)})`,
          { hint: "Point it at podman or docker." },
        );
    }
    return { name, binary, located: "MCP_BRIDGE_ENGINE" };
  }
  const candidates: EngineName[] = config.engine === "auto" ? ["podman", "docker"] : [config.engine as EngineName];
  for (const c of candidates) {
    const found = deps.locate
      ? deps.locate(c)
      : (() => {
          const p = deps.which(c);
          return p ? { path: p, onPath: true } : undefined;
        })();
    if (found) return { name: c, binary: found.path, located: found.onPath ? "PATH" : "install-location" };
  }
  const what = config.engine === "auto" ? "neither podman nor docker is" : `${config.engine} is not`;
  throw new BridgeError("ENGINE_NOT_FOUND", `No container engine: ${what} on PATH or in the usual install locations.`, {
    hint: INSTALL_HINT,
  });
}

/** Chooses the engine per MCP_BRIDGE_ENGINE and checks that it answers. Throws ENGINE_NOT_FOUND / ENGINE_FAILED. */
export async function detectEngine(
  config: Pick<Config, "engine" | "ociRuntime">,
  deps: EngineDeps,
): Promise<EngineInfo> {
  const { name, binary, located } = await locateEngine(config, deps);
  const versionArgv =
    name === "podman"
      ? [binary, "version", "--format", "{{.Client.Version}}"]
      : [binary, "version", "--format", "{{.Server.Version}}"];
  const version = await deps.exec(versionArgv, { timeoutMs: 15_000 });
  if (version.exitCode !== 0) {
    throw new BridgeError(
      "ENGINE_FAILED",
      `${name} does not answer (\`${name} version\` exited ${version.exitCode}): ${lastLine(version.stderr)}`,
      {
        hint:
          name === "docker"
            ? "Start the docker daemon (or fix DOCKER_HOST), or set MCP_BRIDGE_ENGINE=podman."
            : "Run `podman info` to see what is wrong (or fix CONTAINER_HOST).",
      },
    );
  }
  const infoArgv =
    name === "podman"
      ? [binary, "info", "--format", "{{.Host.Security.Rootless}} {{.Host.CgroupsVersion}}"]
      : [binary, "info", "--format", "{{.CgroupVersion}} {{json .SecurityOptions}}"];
  const info = await deps.exec(infoArgv, { timeoutMs: 15_000 });
  const [first = "", ...rest] = info.exitCode === 0 ? info.stdout.trim().split(/\s+/) : [];
  const rootless = name === "podman" ? first === "true" : rest.join(" ").includes("rootless");
  const cgroupV1 = name === "podman" ? rest[0] === "v1" : first === "1";
  return {
    name,
    binary,
    located,
    version: version.stdout.trim(),
    rootless,
    remote: isRemote(name, binary, deps.env, deps.platform),
    ociRuntime: config.ociRuntime,
    limitsEnforced: !(rootless && cgroupV1),
  };
}

/** True when the image is present in the engine's local store. */
export async function checkImage(
  engine: Pick<EngineInfo, "name" | "binary">,
  image: string,
  deps: Pick<EngineDeps, "exec">,
): Promise<boolean> {
  const argv =
    engine.name === "podman"
      ? [engine.binary, "image", "exists", image]
      : [engine.binary, "image", "inspect", "--format", "{{.Id}}", image];
  const r = await deps.exec(argv, { timeoutMs: 15_000 });
  return r.exitCode === 0;
}

/**
 * How to get a missing sandbox image (shown by serve's IMAGE_MISSING error and by doctor): pull it,
 * or let the binary build one (`image build` works offline from Debian packages, as root).
 */
export function imageFix(engine: EngineName, image: string): string {
  return `${engine} pull ${image}   — no registry? \`${asRoot()}${selfCommand()} image build --use\` builds one offline from Debian packages and configures it`;
}

/** Throws IMAGE_MISSING with the fix unless the image is present. Never pulls. */
export async function requireImage(
  engine: Pick<EngineInfo, "name" | "binary">,
  image: string,
  deps: Pick<EngineDeps, "exec">,
): Promise<void> {
  if (await checkImage(engine, image, deps)) return;
  throw new BridgeError(
    "IMAGE_MISSING",
    `The sandbox image ${image} is not in ${engine.name}'s image store (bridge serve does not pull images by itself).`,
    {
      hint: imageFix(engine.name, image),
    },
  );
}

/** Makes sure the image is present, pulling it once if not. Throws IMAGE_MISSING with the fix. */
export async function ensureImage(
  engine: Pick<EngineInfo, "name" | "binary">,
  image: string,
  deps: Pick<EngineDeps, "exec">,
  onPull?: () => void,
): Promise<void> {
  if (await checkImage(engine, image, deps)) return;
  onPull?.();
  const pull = await deps.exec([engine.binary, "pull", image], { timeoutMs: 300_000 });
  if (pull.exitCode === 0) return;
  throw new BridgeError(
    "IMAGE_MISSING",
    `The sandbox image ${image} is not in ${engine.name}'s store and could not be pulled: ${lastLine(pull.stderr)}`,
    {
      hint: `Run \`${engine.name} pull ${image}\`, or \`${asRoot()}${selfCommand()} image build --use\` (builds an image offline from Debian packages and configures it).`,
    },
  );
}

/** `sudo ` unless this process is root (the offline build runs debootstrap). */
function asRoot(): string {
  return process.getuid?.() === 0 ? "" : "sudo ";
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}
