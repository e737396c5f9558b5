/**
 * The offline image build, for machines that reach a Debian/Ubuntu package mirror but no image
 * registry: `debootstrap` a minimal root filesystem with python3 and the recipe's Debian packages,
 * prebuild matplotlib's font cache in it, slim it, tar it (cached, so a second engine imports in
 * seconds) and `podman|docker import` it. Needs root (debootstrap) and Linux.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { BridgeError } from "../../errors.ts";
import type { EngineName } from "../argv.ts";
import {
  debianPackages,
  hasMatplotlib,
  imageEnv,
  MPL_PREBUILD,
  MPL_SEED_DIR,
  RECIPE_FORMAT,
  recipeStamp,
  type Recipe,
  type Source,
} from "./recipe.ts";
import type { ImageBuildDeps } from "./deps.ts";

/** Where packages come from: the mirror, suite and components apt on this host already uses. */
export interface DebianSource {
  kind: "debian";
  suite: string;
  mirror: string;
  components: string[];
}

const FALLBACK: DebianSource = {
  kind: "debian",
  suite: "bookworm",
  mirror: "http://deb.debian.org/debian",
  components: ["main"],
};

/**
 * The first non-security, non-updates entry of apt's sources (one-line `.list` or deb822
 * `.sources` files), else Debian's default mirror. `osRelease` supplies the suite when an entry
 * names none we can use. Pure: the caller reads the files.
 */
export function aptSource(files: Array<{ path: string; text: string }>, osRelease?: string): DebianSource {
  const entries: Array<{ uri: string; suites: string[]; components: string[] }> = [];
  for (const { path, text } of files) {
    if (path.endsWith(".sources")) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (name: string) =>
          stanza
            .match(new RegExp(`^${name}:\\s*(.+)$`, "mi"))?.[1]
            ?.trim()
            .split(/\s+/) ?? [];
        if (field("Enabled")[0]?.toLowerCase() === "no" || !field("Types").includes("deb")) continue;
        for (const uri of field("URIs"))
          entries.push({ uri, suites: field("Suites"), components: field("Components") });
      }
    } else if (path.endsWith(".list")) {
      for (const line of text.split("\n")) {
        const m = line
          .replace(/#.*/, "")
          .trim()
          .match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s*(.*)$/);
        if (m) entries.push({ uri: m[1]!, suites: [m[2]!], components: m[3]!.split(/\s+/).filter(Boolean) });
      }
    }
  }
  const codename = osRelease?.match(/^VERSION_CODENAME=("?)([a-z]+)\1$/m)?.[2];
  for (const e of entries) {
    if (!/^https?:\/\//.test(e.uri) || /security/.test(e.uri)) continue;
    const suite = e.suites.find((s) => !/-(security|updates|backports|proposed)$/.test(s)) ?? codename;
    if (!suite) continue;
    return {
      kind: "debian",
      suite,
      mirror: e.uri.replace(/\/$/, ""),
      components: e.components.length ? e.components : ["main"],
    };
  }
  return FALLBACK;
}

/** Reads this host's apt sources (only enabled `.list`/`.sources` files) and os-release. */
export function hostAptSource(
  read: (path: string) => string | undefined,
  listDir: (dir: string) => string[],
): DebianSource {
  const paths = [
    "/etc/apt/sources.list",
    ...listDir("/etc/apt/sources.list.d").map((n) => `/etc/apt/sources.list.d/${n}`),
  ];
  const files = paths.flatMap((path) => {
    const text = read(path);
    return text === undefined ? [] : [{ path: path === "/etc/apt/sources.list" ? `${path}.list` : path, text }];
  });
  return aptSource(files, read("/etc/os-release"));
}

/** The stamp source of an offline build (components do not change what is installed). */
export function stampSource(s: DebianSource): Source {
  return { kind: "debian", suite: s.suite, mirror: s.mirror };
}

/** debootstrap's command line for a recipe. */
export function debootstrapArgv(r: Recipe, s: DebianSource, rootfs: string): string[] {
  const argv = ["debootstrap", "--variant=minbase", `--include=${debianPackages(r).join(",")}`];
  if (s.components.length > 1 || s.components[0] !== "main") argv.push(`--components=${s.components.join(",")}`);
  return [...argv, s.suite, rootfs, s.mirror];
}

/** `podman|docker import` of the rootfs tarball, with the settings an image built from a Containerfile would have. */
export function importArgv(binary: string, tarball: string, tag: string, env: Record<string, string>): string[] {
  const changes = ['CMD ["python3"]', "WORKDIR /workspace", ...Object.entries(env).map(([k, v]) => `ENV ${k}=${v}`)];
  return [binary, "import", ...changes.flatMap((c) => ["--change", c]), tarball, tag];
}

/** `${XDG_CACHE_HOME:-~/.cache}/bridge`: rootfs tarballs, kept so a second engine or a rebuild of the tag is quick. */
export function cacheDir(env: Record<string, string | undefined>): string {
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache"), "bridge");
}

/** Why an offline build cannot run here, or undefined when it can. */
export function offlineBlocker(
  deps: Pick<ImageBuildDeps, "uid" | "platform" | "which">,
  engineName: EngineName,
  remote: boolean,
): string | undefined {
  if (deps.platform !== "linux") return "the offline build runs debootstrap, which needs Linux";
  if (deps.uid !== 0)
    return `the offline build runs debootstrap, which needs root: run it with sudo (the image then goes to root's ${engineName}${engineName === "podman" ? "; for rootless podman, move it with `sudo podman save TAG | podman load`" : ""})`;
  if (!deps.which("debootstrap")) return "debootstrap is not installed (apt-get install debootstrap)";
  if (remote)
    return `${engineName} is remote (CONTAINER_HOST/DOCKER_HOST): the offline build can still import into it, but needs a local Linux host`;
  return undefined;
}

/**
 * Builds (or reuses) the rootfs tarball of a recipe and imports it as `tag`. Returns the tarball
 * path. Progress lines go to `deps.say`; debootstrap's full log to `<cache>/debootstrap.log`.
 */
export async function buildOffline(
  r: Recipe,
  tag: string,
  engine: { name: EngineName; binary: string },
  deps: ImageBuildDeps,
  opts: { rebuild?: boolean; source: DebianSource },
): Promise<string> {
  const s = opts.source;
  const cache = cacheDir(deps.env);
  mkdirSync(cache, { recursive: true });
  const key = recipeStamp(r, stampSource(s));
  const tarball = join(cache, `rootfs-${s.suite}-${key}.tar`);
  if (opts.rebuild || !existsSync(tarball)) {
    const rootfs = mkdtempSync("/var/tmp/bridge-rootfs.");
    const logFile = join(cache, "debootstrap.log");
    try {
      deps.say(
        `debootstrap ${s.suite} from ${s.mirror}: ${debianPackages(r).length} packages and their dependencies (a few minutes; log: ${logFile})`,
      );
      const boot = await deps.run(debootstrapArgv(r, s, rootfs), {
        logFile,
        onLine: (l) => void (/^I: (Retrieving Release|Installing core|Base system)/.test(l) && deps.say(l.slice(3))),
      });
      if (boot.exitCode !== 0) {
        throw new BridgeError("SANDBOX_FAILED", `debootstrap failed (exit ${boot.exitCode}): ${boot.tail}`, {
          hint: `See ${logFile}. Check that ${s.mirror} is reachable and has every package of: ${debianPackages(r).join(" ")}.`,
        });
      }
      slim(rootfs);
      if (hasMatplotlib(r)) await prebuildFontCache(rootfs, deps);
      mkdirSync(join(rootfs, "workspace"), { recursive: true });
      chmodSync(join(rootfs, "workspace"), 0o1777);
      // mkdtemp made the root 0700, and the tarball keeps that mode for the image's "/": overlay
      // storage hides it, rootless podman on vfs does not, and uid 65534 could not reach anything.
      chmodSync(rootfs, 0o755);
      deps.say("packing the root filesystem");
      const tar = await deps.run(["tar", "-C", rootfs, "-cf", `${tarball}.tmp`, "."], {});
      if (tar.exitCode !== 0) throw new BridgeError("SANDBOX_FAILED", `tar failed: ${tar.tail}`);
      renameSync(`${tarball}.tmp`, tarball);
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
      rmSync(`${tarball}.tmp`, { force: true });
    }
  }
  deps.say(`importing into ${engine.name} as ${tag}`);
  const imp = await deps.run(
    importArgv(engine.binary, tarball, tag, {
      ...imageEnv(r, stampSource(s)),
      BRIDGE_IMAGE_FORMAT: String(RECIPE_FORMAT),
    }),
    {},
  );
  if (imp.exitCode !== 0) throw new BridgeError("SANDBOX_FAILED", `${engine.name} import failed: ${imp.tail}`);
  return tarball;
}

/** Package caches, docs, man pages and translations are dead weight in a sandbox. */
function slim(rootfs: string): void {
  for (const dir of ["var/cache/apt", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/locale"]) {
    const path = join(rootfs, dir);
    if (!existsSync(path)) continue;
    for (const name of readdirSync(path)) rmSync(join(path, name), { recursive: true, force: true });
  }
}

/** matplotlib's font list, built once in the image instead of on every call (hundreds of ms). */
async function prebuildFontCache(rootfs: string, deps: ImageBuildDeps): Promise<void> {
  deps.say("prebuilding matplotlib's font cache");
  const dir = join(rootfs, MPL_SEED_DIR);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "matplotlibrc"), "backend: Agg\n");
  const r = await deps.run(
    [
      "chroot",
      rootfs,
      "/usr/bin/env",
      "-i",
      "PATH=/usr/bin:/bin",
      "HOME=/root",
      `MPLCONFIGDIR=${MPL_SEED_DIR}`,
      "python3",
      "-c",
      MPL_PREBUILD,
    ],
    {},
  );
  if (r.exitCode !== 0)
    throw new BridgeError("SANDBOX_FAILED", `prebuilding matplotlib's font cache failed: ${r.tail}`);
  await deps.run(["chmod", "-R", "a+rX", join(rootfs, "etc/bridge")], {});
}
