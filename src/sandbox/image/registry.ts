/**
 * The registry image build, for machines that reach an image registry and PyPI: the slim Python
 * base image plus pip packages, built from the Containerfile in recipe.ts with the engine's own
 * `build` (podman, or docker's builder), with the same OCI runtime and rlimits the sandbox uses.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BridgeError } from "../../errors.ts";
import type { EngineName } from "../argv.ts";
import { isCrunCgroupError } from "../engine.ts";
import type { SandboxRlimits } from "../rlimits.ts";
import type { ImageBuildDeps } from "./deps.ts";
import { containerfile, REGISTRY_BASE, type Recipe } from "./recipe.ts";

export interface BuildEngine {
  name: EngineName;
  binary: string;
  ociRuntime?: string;
}

/** pip settings passed from this host's environment into the build (a company index or mirror). */
export const PIP_BUILD_ARGS = ["PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST"] as const;

/** The PIP_* variables set in `env` (the Containerfile declares them as ARGs, the build passes them). */
export function pipBuildArgs(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(PIP_BUILD_ARGS.flatMap((k) => (env[k] ? [[k, env[k]!]] : [])));
}

/** `podman|docker build` of the Containerfile in `dir`. */
export function registryBuildArgv(
  engine: BuildEngine,
  tag: string,
  dir: string,
  rlimits: SandboxRlimits,
  buildArgs: Record<string, string> = {},
): string[] {
  const argv = [engine.binary];
  if (engine.ociRuntime && engine.name === "podman") argv.push("--runtime", engine.ociRuntime);
  argv.push("build");
  // Engines' default rlimits can exceed the host's hard limits, and then every RUN step fails.
  argv.push(
    "--ulimit",
    `nofile=${rlimits.nofile}:${rlimits.nofile}`,
    "--ulimit",
    `nproc=${rlimits.nproc}:${rlimits.nproc}`,
  );
  for (const [k, v] of Object.entries(buildArgs)) argv.push("--build-arg", `${k}=${v}`);
  return [...argv, "-t", tag, "-f", join(dir, "Containerfile"), dir];
}

/** Pulls the base image unless present. Returns undefined on success, else why the registry cannot be used. */
export async function ensureBase(
  engine: BuildEngine,
  deps: ImageBuildDeps,
  base = REGISTRY_BASE,
): Promise<string | undefined> {
  const present = await deps.exec([engine.binary, "image", "inspect", "--format", "{{.Id}}", base], {
    timeoutMs: 30_000,
  });
  if (present.exitCode === 0) return undefined;
  deps.say(`pulling ${base}`);
  const pull = await deps.exec([engine.binary, "pull", base], { timeoutMs: 600_000 });
  if (pull.exitCode === 0) return undefined;
  return `${engine.name} pull ${base} failed: ${pull.stderr.trim().split("\n").pop() ?? `exit ${pull.exitCode}`}`;
}

/** Builds `tag` from the registry base plus pip. Throws SANDBOX_FAILED with the build's last lines. */
export async function buildFromRegistry(
  r: Recipe,
  tag: string,
  engine: BuildEngine,
  deps: ImageBuildDeps,
  rlimits: SandboxRlimits,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bridge-image-"));
  try {
    const args = pipBuildArgs(deps.env);
    writeFileSync(join(dir, "Containerfile"), containerfile(r, REGISTRY_BASE, Object.keys(args)));
    deps.say(`building ${tag} with ${engine.name}: ${REGISTRY_BASE} + pip (a few minutes)`);
    const onLine = (l: string) => void (/^(STEP|Step) \d+/.test(l) && deps.say(l));
    let result = await deps.run(registryBuildArgv(engine, tag, dir, rlimits, args), { onLine });
    // Like the sandbox itself: crun fails on hybrid-cgroup hosts, runc works.
    if (
      result.exitCode !== 0 &&
      engine.name === "podman" &&
      !engine.ociRuntime &&
      isCrunCgroupError(result.tail) &&
      deps.which("runc")
    ) {
      deps.say("crun cannot run containers on this host; building with --runtime runc");
      result = await deps.run(registryBuildArgv({ ...engine, ociRuntime: "runc" }, tag, dir, rlimits, args), {
        onLine,
      });
    }
    if (result.exitCode !== 0) {
      throw new BridgeError("SANDBOX_FAILED", `${engine.name} build failed (exit ${result.exitCode}): ${result.tail}`, {
        hint: "pip needs PyPI, or a mirror: set PIP_INDEX_URL (passed into the build). Without either, build offline from Debian packages: add --offline.",
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
