/**
 * bridge's own seccomp profile for sandbox containers, embedded in the binary: Docker's default
 * profile (`seccomp/profile.json` = github.com/moby/profiles/seccomp v0.2.3 `default.json`,
 * Apache-2.0, see `seccomp/LICENSE`), used for podman too. It leaves out what bridge needs gone and
 * engines in use still allow: every `io_uring_*` syscall (docker 28.2 allows `io_uring_setup`; io_uring
 * would also run socket operations past seccomp) and `socket(AF_VSOCK)` (a path to the host on
 * VM-backed engines, outside `--network none`; docker 28.2 and podman 4.3 allow it); unlike podman's
 * default it also refuses `keyctl`/`add_key`/`request_key`, `unshare`, `mount`.
 * `test/unit/sandbox/seccomp.test.ts` checks those properties of the file.
 *
 * Engines take a profile as a file path (`--security-opt seccomp=PATH`): the file is written at run
 * time into bridge's private engine directory (0700, per user), named by its hash. The docker CLI
 * reads it and sends its content to the daemon, so remote docker works; podman reads the path on the
 * machine that runs the container, so a remote podman keeps its own profile and only the runtime's
 * in-container filter (python/isolation.py) applies there.
 */
import { createHash } from "node:crypto";
import { chmodSync, lstatSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EngineInfo } from "./engine.ts";
import profile from "./seccomp/profile.json" with { type: "text" };

/** The profile as JSON text (a text import: TypeScript types the module as parsed JSON). */
export const SECCOMP_PROFILE = profile as unknown as string;

/** What MCP_BRIDGE_SECCOMP asks for: bridge's profile, the engine's default, or a profile file. */
export type SeccompSetting = "bridge" | "engine" | string;

let written: string | undefined;

/** Writes the profile into `dir` (once per process, 0600, replaced atomically) and returns its path. */
export function writeProfile(dir: string): string {
  if (written) return written;
  const path = join(dir, `seccomp-${createHash("sha256").update(SECCOMP_PROFILE).digest("hex").slice(0, 16)}.json`);
  try {
    const st = lstatSync(path);
    if (st.isFile() && st.size === Buffer.byteLength(SECCOMP_PROFILE)) return (written = path);
  } catch {}
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, SECCOMP_PROFILE, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return (written = path);
}

/**
 * The `--security-opt seccomp=` value for a container, or undefined for the engine's own profile:
 * bridge's profile unless the setting says otherwise, or the engine is a remote podman (it would
 * look for the file on its own machine).
 */
export function seccompOption(
  setting: SeccompSetting,
  engine: Pick<EngineInfo, "name" | "remote">,
  dir: () => string,
): string | undefined {
  if (setting === "engine") return undefined;
  if (setting !== "bridge") return setting;
  if (engine.name === "podman" && engine.remote) return undefined;
  return writeProfile(dir());
}
