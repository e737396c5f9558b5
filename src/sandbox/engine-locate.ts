/**
 * Finding the container engine's CLI when bridge is started the way GUI clients start servers:
 * with a minimal PATH (macOS Claude Desktop: /usr/bin:/bin:/usr/sbin:/sbin) or none at all. The
 * engine is looked up on PATH first, then in the places installers put it (Homebrew, Docker
 * Desktop, Podman Desktop / the podman installer, Rancher Desktop, Nix, Linuxbrew, snap, the user's
 * own bin directories, the system directories). MCP_BRIDGE_ENGINE may also name it by absolute path.
 */
import { accessSync, constants, statSync } from "node:fs";
import { basename, join, posix, win32 } from "node:path";

/** A GUI client's PATH on this platform (what `doctor` checks against). */
export function guiPath(platform: string): string {
  return platform === "win32" ? "C:\\Windows\\system32;C:\\Windows" : "/usr/bin:/bin:/usr/sbin:/sbin";
}

/** Where engines are installed, in the order a login shell's PATH usually has them. */
export function wellKnownDirs(platform: string, env: Record<string, string | undefined>): string[] {
  const home = env.HOME || env.USERPROFILE;
  const inHome = (...parts: string[]) => (home ? [(platform === "win32" ? win32 : posix).join(home, ...parts)] : []);
  if (platform === "win32") {
    const pf = env.ProgramFiles || "C:\\Program Files";
    return [
      win32.join(pf, "RedHat", "Podman"),
      win32.join(pf, "Docker", "Docker", "resources", "bin"),
      ...inHome("AppData", "Local", "Programs", "Podman"),
    ];
  }
  const common = ["/usr/local/bin", ...inHome(".local", "bin"), ...inHome("bin")];
  const system = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"];
  if (platform === "darwin") {
    return [
      "/opt/homebrew/bin",
      ...common,
      "/opt/podman/bin",
      "/Applications/Docker.app/Contents/Resources/bin",
      ...inHome(".docker", "bin"),
      ...inHome(".rd", "bin"),
      "/opt/local/bin",
      ...inHome(".nix-profile", "bin"),
      ...system,
    ];
  }
  return [
    ...common,
    "/home/linuxbrew/.linuxbrew/bin",
    ...inHome(".nix-profile", "bin"),
    "/nix/var/nix/profiles/default/bin",
    "/run/current-system/sw/bin",
    "/snap/bin",
    ...system,
  ];
}

/** True for an existing regular file this user may execute. */
export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    if (process.platform !== "win32") accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface LocateDeps {
  env: Record<string, string | undefined>;
  platform: string;
  isExecutable(path: string): boolean;
  /** Overrides wellKnownDirs (tests). */
  dirs?: string[];
}

/** Where a command was found: on PATH, or in an install location PATH lacks. */
export interface Located {
  path: string;
  onPath: boolean;
}

function candidates(command: string, platform: string, env: Record<string, string | undefined>): string[] {
  if (platform !== "win32") return [command];
  const exts = (env.PATHEXT ?? ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean);
  return [command, ...exts.map((e) => command + e.toLowerCase()), ...exts.map((e) => command + e)];
}

/** Finds `command` on PATH, else in the well-known directories. */
export function locateCommand(command: string, deps: LocateDeps): Located | undefined {
  const sep = deps.platform === "win32" ? ";" : ":";
  const pathDirs = (deps.env.PATH ?? deps.env.Path ?? "")
    .split(sep)
    .filter((d) => d && (deps.platform === "win32" ? win32 : posix).isAbsolute(d));
  const j = deps.platform === "win32" ? win32.join : join;
  for (const dir of pathDirs)
    for (const name of candidates(command, deps.platform, deps.env))
      if (deps.isExecutable(j(dir, name))) return { path: j(dir, name), onPath: true };
  for (const dir of deps.dirs ?? wellKnownDirs(deps.platform, deps.env)) {
    if (pathDirs.includes(dir)) continue;
    for (const name of candidates(command, deps.platform, deps.env))
      if (deps.isExecutable(j(dir, name))) return { path: j(dir, name), onPath: false };
  }
  return undefined;
}

/** The engine a CLI path belongs to, from its file name (podman, podman-remote, docker, docker.exe). */
export function engineFromPath(path: string): "podman" | "docker" | undefined {
  const base = win32.basename(basename(path)).toLowerCase();
  if (base.startsWith("podman")) return "podman";
  if (base.startsWith("docker")) return "docker";
  return undefined;
}
