/**
 * What `bridge image build` builds: the presets (which Python packages, under their pip and Debian
 * names, and which modules prove they are there), the Containerfile of the registry build
 * (`python:3.x-slim` + pip) and the recipe stamp that marks an image as built by this recipe.
 * Pure data and text: the builders (registry.ts, offline.ts) run it.
 */
import { createHash } from "node:crypto";
import { BridgeError } from "../../errors.ts";

/** Bumped when what a build produces changes without its inputs changing (then every image is redone). */
export const RECIPE_FORMAT = 3;

/** The base of registry builds: the default sandbox image's Python, fully qualified (podman may not resolve short names). */
export const REGISTRY_BASE = "docker.io/library/python:3.14-slim";

/** Where images keep matplotlib's prebuilt font cache and rc file; the runtime seeds MPLCONFIGDIR from it. */
export const MPL_SEED_DIR = "/etc/bridge/matplotlib";

/** A data-science package: its pip name, its Debian package, and the module that imports it. */
export interface DataPackage {
  pip: string;
  debian: string;
  module: string;
}

/** The packages of the datascience preset, in the order doctor reports them. */
export const DATASCIENCE: readonly DataPackage[] = [
  { pip: "numpy", debian: "python3-numpy", module: "numpy" },
  { pip: "pandas", debian: "python3-pandas", module: "pandas" },
  { pip: "matplotlib", debian: "python3-matplotlib", module: "matplotlib" },
  { pip: "scipy", debian: "python3-scipy", module: "scipy" },
  { pip: "scikit-learn", debian: "python3-sklearn", module: "sklearn" },
];

export const PRESETS = ["minimal", "datascience"] as const;
export type Preset = (typeof PRESETS)[number];

/** The tag an image of a preset gets unless --tag says otherwise. */
export function defaultTag(preset: Preset): string {
  return preset === "minimal" ? "localhost/bridge-python:latest" : "localhost/bridge-datascience:latest";
}

/** One build's inputs. `add` are extra package names as the user gave them. */
export interface Recipe {
  preset: Preset;
  add: string[];
}

// pip requirement names (PEP 508 name, optional extras and version pins) or Debian package names.
const PACKAGE =
  /^[A-Za-z0-9][A-Za-z0-9._+-]*(\[[A-Za-z0-9._,-]+\])?([<>=!~]=?[A-Za-z0-9.*+!-]+(,[<>=!~]=?[A-Za-z0-9.*+!-]+)*)?$/;

/** Validates `--add` names (they end up in a Containerfile and an argv). Throws USAGE. */
export function parseAdd(values: string[]): string[] {
  const out: string[] = [];
  for (const v of values
    .flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!PACKAGE.test(v) || v.length > 200) {
      throw new BridgeError("USAGE", `--add ${JSON.stringify(v)} is not a package name`, {
        hint: "Give pip names (e.g. statsmodels, polars==1.9) for registry builds, Debian names (python3-statsmodels) or plain names for offline ones.",
      });
    }
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

/** pip packages of a recipe. */
export function pipPackages(r: Recipe): string[] {
  return [...(r.preset === "datascience" ? DATASCIENCE.map((p) => p.pip) : []), ...r.add];
}

/**
 * Debian packages of a recipe. A plain `--add` name becomes `python3-<name>` (Debian's naming for
 * Python libraries; `scikit-learn` and the other preset names map to their real packages); names
 * starting with `python3-`, `lib` or `fonts-` are Debian names and kept. Version pins cannot be
 * honoured offline and are refused.
 */
export function debianPackages(r: Recipe): string[] {
  const base = ["python3", "ca-certificates"];
  if (r.preset === "datascience") base.push(...DATASCIENCE.map((p) => p.debian));
  for (const a of r.add) {
    if (/[<>=!~[]/.test(a))
      throw new BridgeError(
        "USAGE",
        `--add ${a}: versions and extras cannot be chosen in an offline build (Debian has one version of each package)`,
        { hint: `Use --add ${a.split(/[<>=!~[]/)[0]}.` },
      );
    const known = DATASCIENCE.find((p) => p.pip === a.toLowerCase() || p.module === a.toLowerCase());
    base.push(
      known
        ? known.debian
        : a.startsWith("python3-") || a.startsWith("lib") || a.startsWith("fonts-")
          ? a
          : `python3-${a.toLowerCase().replace(/_/g, "-")}`,
    );
  }
  return [...new Set(base)];
}

/** True when the recipe installs matplotlib (then its font cache is prebuilt). */
export function hasMatplotlib(r: Recipe): boolean {
  return r.preset === "datascience" || r.add.some((a) => /^(python3-)?matplotlib\b/i.test(a));
}

/** How the rootfs or image is sourced, part of the stamp. */
export type Source = { kind: "registry"; base: string } | { kind: "debian"; suite: string; mirror: string };

/** The stamp an image built from this recipe carries (`BRIDGE_IMAGE_RECIPE`): 12 hex digits. */
export function recipeStamp(r: Recipe, source: Source): string {
  const packages = source.kind === "registry" ? pipPackages(r) : debianPackages(r);
  const input = JSON.stringify({ format: RECIPE_FORMAT, preset: r.preset, packages, source });
  return createHash("sha256").update(input).digest("hex").slice(0, 12);
}

/** The environment every bridge-built image carries: what it is, and which recipe built it. */
export function imageEnv(r: Recipe, source: Source): Record<string, string> {
  return { BRIDGE_IMAGE_PRESET: [r.preset, ...r.add].join("+"), BRIDGE_IMAGE_RECIPE: recipeStamp(r, source) };
}

/** Python run at build time to prebuild matplotlib's font cache into MPL_SEED_DIR (no display, Agg). */
export const MPL_PREBUILD = [
  "import matplotlib",
  "matplotlib.use('Agg')",
  "import matplotlib.pyplot as plt, io",
  "fig = plt.figure(); plt.plot([0, 1]); fig.savefig(io.BytesIO(), format='png')",
].join("; ");

/** A shell-quoted word (single quotes). */
function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The Containerfile of a registry build: the slim Python image, pip packages (wheels, no cache),
 * matplotlib's font cache prebuilt, `/workspace`, and the recipe stamp. `buildArgs` are declared
 * as ARGs (pip's index settings from the host, visible to RUN steps only).
 */
export function containerfile(r: Recipe, base = REGISTRY_BASE, buildArgs: readonly string[] = []): string {
  const env = imageEnv(r, { kind: "registry", base });
  const lines = [`FROM ${base}`, ...buildArgs.map((a) => `ARG ${a}`)];
  const pip = pipPackages(r);
  if (pip.length)
    lines.push(
      `RUN pip install --no-cache-dir --disable-pip-version-check --root-user-action=ignore ${pip.map(sq).join(" ")}`,
    );
  if (hasMatplotlib(r)) {
    lines.push(
      `RUN mkdir -p ${MPL_SEED_DIR} && printf 'backend: Agg\\n' > ${MPL_SEED_DIR}/matplotlibrc && MPLCONFIGDIR=${MPL_SEED_DIR} python3 -c ${sq(MPL_PREBUILD)} && chmod -R a+rX /etc/bridge`,
    );
  }
  lines.push("RUN mkdir -p /workspace && chmod 1777 /workspace", "WORKDIR /workspace");
  lines.push(
    `ENV ${Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")}`,
  );
  lines.push('CMD ["python3"]');
  return `${lines.join("\n")}\n`;
}
