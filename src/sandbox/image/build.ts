/**
 * `bridge image build`: a local sandbox image for the engine the user has. From the registry
 * (`python:3.x-slim` + pip) when one is reachable, else offline from Debian packages; `--offline`
 * skips the registry. An image already built by the same recipe is kept unless `rebuild`.
 */
import type { Config } from "../../config/index.ts";
import { BridgeError } from "../../errors.ts";
import { detectEngine, type EngineInfo } from "../engine.ts";
import { hostRlimits } from "../rlimits.ts";
import type { ImageBuildDeps } from "./deps.ts";
import { buildOffline, hostAptSource, offlineBlocker, stampSource } from "./offline.ts";
import { defaultTag, recipeStamp, REGISTRY_BASE, type Recipe } from "./recipe.ts";
import { buildFromRegistry, ensureBase } from "./registry.ts";

export interface ImageBuildOptions extends Recipe {
  tag?: string;
  /** Build from Debian packages without trying the registry. */
  offline?: boolean;
  /** Build even when the tag already carries this recipe's stamp. */
  rebuild?: boolean;
}

export interface ImageBuildResult {
  tag: string;
  engine: EngineInfo;
  /** Where the packages came from. */
  source: "registry" | "debian";
  /** True when the image was already built by this recipe and left as it was. */
  upToDate: boolean;
}

/** The recipe stamp (BRIDGE_IMAGE_RECIPE) of an image in the engine's store, or undefined. */
export async function imageStamp(
  engine: Pick<EngineInfo, "binary">,
  tag: string,
  deps: Pick<ImageBuildDeps, "exec">,
): Promise<string | undefined> {
  const r = await deps.exec([engine.binary, "image", "inspect", "--format", "{{json .Config.Env}}", tag], {
    timeoutMs: 30_000,
  });
  if (r.exitCode !== 0) return undefined;
  try {
    const env = JSON.parse(r.stdout.trim().split("\n")[0] ?? "null") as string[] | null;
    return env?.find((e) => e.startsWith("BRIDGE_IMAGE_RECIPE="))?.slice("BRIDGE_IMAGE_RECIPE=".length);
  } catch {
    return undefined;
  }
}

/** Builds (or confirms) the image. Throws ENGINE_* when no engine answers, SANDBOX_FAILED when a build fails. */
export async function buildImage(
  config: Pick<Config, "engine" | "ociRuntime">,
  opts: ImageBuildOptions,
  deps: ImageBuildDeps,
): Promise<ImageBuildResult> {
  const engine = await detectEngine(config, deps);
  const tag = opts.tag ?? defaultTag(opts.preset);
  const recipe: Recipe = { preset: opts.preset, add: opts.add };
  const debian = hostAptSource(deps.readFile, deps.listDir);
  const stamps = {
    registry: recipeStamp(recipe, { kind: "registry", base: REGISTRY_BASE }),
    debian: recipeStamp(recipe, stampSource(debian)),
  };
  const current = await imageStamp(engine, tag, deps);
  if (!opts.rebuild && current !== undefined) {
    if (current === stamps.debian) return { tag, engine, source: "debian", upToDate: true };
    if (current === stamps.registry && !opts.offline) return { tag, engine, source: "registry", upToDate: true };
  }

  let noRegistry = "--offline was given";
  if (!opts.offline) {
    const why = await ensureBase(engine, deps);
    if (why === undefined) {
      await buildFromRegistry(recipe, tag, engine, deps, hostRlimits(deps, engine.remote));
      return { tag, engine, source: "registry", upToDate: false };
    }
    noRegistry = why;
  }
  const blocker = offlineBlocker(deps, engine.name, engine.remote);
  if (blocker) {
    throw new BridgeError(
      "IMAGE_MISSING",
      opts.offline
        ? `Cannot build offline: ${blocker}.`
        : `No image registry is reachable (${noRegistry}), and the offline build cannot run here: ${blocker}.`,
      {
        hint: opts.offline
          ? "Fix the above, or build from the registry (without --offline) on a machine that reaches one."
          : "Fix the offline build's requirement above, or make the registry reachable.",
      },
    );
  }
  if (!opts.offline)
    deps.say(`no image registry reachable (${noRegistry}): building offline from Debian packages instead`);
  await buildOffline(recipe, tag, engine, deps, { rebuild: opts.rebuild, source: debian });
  return { tag, engine, source: "debian", upToDate: false };
}
