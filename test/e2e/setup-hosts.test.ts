/**
 * `scripts/setup.sh`'s engine step (`ensure_engine` in scripts/lib/prereqs.sh) on the hosts people
 * really have, each simulated by a PATH that holds only basic tools plus fake `podman`, `docker`,
 * `dockerd`, `apt-get`, `dpkg`, `sudo`, `id` or `uname`: a fresh Debian as root, a docker client
 * with no daemon, only rootless podman, a non-root user with or without sudo, macOS. Fakes record
 * what the script ran; nothing is installed. One variant runs as a real unprivileged user (setpriv).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tempDir } from "../support/bridge.ts";

const repo = resolve(import.meta.dir, "../..");
const dirs: Array<{ cleanup: () => void }> = [];
afterAll(() => {
  for (const d of dirs) d.cleanup();
});

/** Real tools the script needs besides the ones a variant fakes. */
const BASE_TOOLS = [
  "bash",
  "sh",
  "cat",
  "sed",
  "grep",
  "head",
  "tail",
  "seq",
  "sleep",
  "dirname",
  "tr",
  "cut",
  "printf",
  "touch",
  "cp",
  "chmod",
  "rm",
];
const PODMAN_PACKAGES = "podman runc uidmap slirp4netns fuse-overlayfs";
const NO_DAEMON = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?";

interface Host {
  /** A fake `podman`: "rootless" answers `info`; "no-subuid" fails like podman without /etc/subuid ranges. */
  podman?: "rootless" | "no-subuid";
  /** A fake `docker` client whose daemon is down (or refuses the user); `dockerd` starts it. */
  docker?: "no-daemon" | "permission-denied";
  dockerd?: boolean;
  apt?: boolean;
  sudo?: boolean;
  /** `id -u` answers this; "real" keeps the real `id` (for the setpriv variant). */
  uid?: number | "real";
  os?: "Linux" | "Darwin";
}

function fake(bin: string, name: string, body: string) {
  writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

/** Builds the simulated host: a bin directory, a state directory and a log of what ran. */
function makeHost(h: Host) {
  const dir = tempDir("bridge-host-");
  dirs.push(dir);
  const bin = join(dir.path, "bin");
  const state = join(dir.path, "state");
  mkdirSync(bin);
  mkdirSync(state);
  chmodSync(dir.path, 0o755);
  const log = join(state, "calls.log");
  writeFileSync(log, "");
  chmodSync(state, 0o777);
  chmodSync(log, 0o666);
  for (const tool of BASE_TOOLS) symlinkSync(Bun.which(tool)!, join(bin, tool));
  if (h.uid === "real") symlinkSync(Bun.which("id")!, join(bin, "id"));
  else
    fake(
      bin,
      "id",
      `[ "$1" = -u ] && { echo ${h.uid ?? 0}; exit 0; }\n[ "$1" = -un ] && { echo someone; exit 0; }\nexit 1`,
    );
  fake(bin, "uname", `echo ${h.os ?? "Linux"}`);
  const working = `echo "podman $*" >>${log}\nexit 0`;
  writeFileSync(join(state, "podman-working"), `#!/bin/sh\n${working}\n`);
  if (h.podman === "rootless")
    fake(bin, "podman", `echo "podman $*" >>${log}\n[ "$1" = info ] && echo 'host: security: rootless: true'\nexit 0`);
  if (h.podman === "no-subuid")
    fake(
      bin,
      "podman",
      `echo "podman $*" >>${log}\necho 'Error: cannot set up namespace using "/usr/bin/newuidmap": no subuid ranges found for user "someone" in /etc/subuid' >&2\nexit 125`,
    );
  if (h.docker) {
    const refusal =
      h.docker === "permission-denied"
        ? "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock"
        : NO_DAEMON;
    fake(
      bin,
      "docker",
      `echo "docker $*" >>${log}\n[ -e ${state}/dockerd-up ] && exit 0\necho '${refusal}' >&2\nexit 1`,
    );
  }
  if (h.dockerd) fake(bin, "dockerd", `echo "dockerd $*" >>${log}\ntouch ${state}/dockerd-up`);
  if (h.sudo) fake(bin, "sudo", `echo "sudo $*" >>${log}\nexit 1`);
  if (h.apt) {
    fake(bin, "dpkg", "exit 1"); // nothing is installed
    // `apt-get install podman` leaves a podman that answers, as the real package would.
    fake(
      bin,
      "apt-get",
      `echo "apt-get $*" >>${log}\ncase " $* " in *" install "*" podman "*) cp ${state}/podman-working ${bin}/podman; chmod 755 ${bin}/podman;; esac\nexit 0`,
    );
  }
  // A copy of the script under test: the checkout may be unreadable to the unprivileged user (/root/…).
  mkdirSync(join(dir.path, "repo/scripts/lib"), { recursive: true });
  copyFileSync(join(repo, "scripts/lib/prereqs.sh"), join(dir.path, "repo/scripts/lib/prereqs.sh"));
  return { bin, state, log, home: dir.path };
}

interface Run {
  code: number;
  stderr: string;
  engine: string;
  calls: string[];
}

/** Sources prereqs.sh as setup.sh does and runs ensure_engine on the simulated host. */
function ensureEngine(h: Host, opts: { asNobody?: boolean } = {}): Run {
  const host = makeHost(h);
  const script = `. ${host.home}/repo/scripts/lib/prereqs.sh; ensure_engine; echo "ENGINE=$BRIDGE_ENGINE"`;
  const argv = ["bash", "-c", script, "./scripts/setup.sh"];
  const cmd = opts.asNobody
    ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", ...argv]
    : argv;
  const r = Bun.spawnSync(cmd, {
    env: { PATH: host.bin, HOME: host.home, USER: "someone", BRIDGE_DOCKERD_LOG: join(host.state, "dockerd.log") },
    cwd: host.home,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const stdout = r.stdout.toString();
  return {
    code: r.exitCode,
    stderr: r.stderr.toString(),
    engine: /ENGINE=(\w*)/.exec(stdout)?.[1] ?? "",
    calls: readFileSync(host.log, "utf8").split("\n").filter(Boolean),
  };
}

/** The one line the script stopped with. */
const stopLine = (r: Run) => r.stderr.split("\n").find((l) => l.startsWith("error: ")) ?? "";

describe("setup.sh engine step on real-world hosts", () => {
  test("fresh Debian as root, no engine: installs podman (with runc and the rootless helpers) and goes on", () => {
    const r = ensureEngine({ apt: true, uid: 0 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.engine).toBe("podman");
    expect(r.calls).toContain(`apt-get install -y -qq --no-install-recommends ${PODMAN_PACKAGES}`);
    expect(r.calls).toContain("podman info"); // checked that the new podman answers
  });

  test("docker client without a daemon, as root, no dockerd: installs podman instead of stopping at 'docker does not answer'", () => {
    const r = ensureEngine({ docker: "no-daemon", apt: true, uid: 0 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.engine).toBe("podman");
    expect(r.stderr).toContain("docker does not answer: Cannot connect to the Docker daemon");
    expect(r.calls.some((c) => c.startsWith("apt-get install") && c.includes(PODMAN_PACKAGES))).toBe(true);
  });

  test("docker client and dockerd installed, daemon down, as root: starts dockerd, installs nothing", () => {
    const r = ensureEngine({ docker: "no-daemon", dockerd: true, apt: true, uid: 0 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.engine).toBe("docker");
    expect(r.calls).toContain("dockerd ");
    expect(r.calls.some((c) => c.startsWith("apt-get"))).toBe(false);
  });

  test("only rootless podman, unprivileged user: uses it, installs nothing", () => {
    const r = ensureEngine({ podman: "rootless", apt: true, uid: 1000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.engine).toBe("podman");
    expect(r.calls).toEqual(["podman info"]);
  });

  test("unprivileged user without sudo, docker client without a daemon: names exactly what to install", () => {
    const r = ensureEngine({ docker: "no-daemon", apt: true, uid: 1000 });
    expect(r.code).toBe(1);
    expect(stopLine(r)).toBe(
      `error: no container engine answers: ask an administrator to run 'apt-get install ${PODMAN_PACKAGES}' (this account is not root and has no sudo), then run ./scripts/setup.sh again`,
    );
    expect(r.calls.some((c) => c.startsWith("apt-get"))).toBe(false);
  });

  test("unprivileged user with sudo, no engine: the sudo command, not run for them", () => {
    const r = ensureEngine({ apt: true, sudo: true, uid: 1000 });
    expect(r.code).toBe(1);
    expect(stopLine(r)).toBe(
      `error: no container engine answers: sudo apt-get install ${PODMAN_PACKAGES}, then run ./scripts/setup.sh again`,
    );
    expect(r.calls).toEqual([]);
  });

  test("unprivileged user, docker daemon running but refusing them: the docker group, not an install", () => {
    const r = ensureEngine({ docker: "permission-denied", apt: true, uid: 1000 });
    expect(r.code).toBe(1);
    expect(stopLine(r)).toContain("add you to the docker group ('usermod -aG docker someone')");
  });

  test("rootless podman without subordinate ids: the usermod command", () => {
    const r = ensureEngine({ podman: "no-subuid", apt: true, sudo: true, uid: 1000 });
    expect(r.code).toBe(1);
    expect(stopLine(r)).toBe(
      "error: rootless podman needs subordinate ids for this user: sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 someone, then run ./scripts/setup.sh again",
    );
  });

  test("no apt-get (another distribution), as root: names the packages for its package manager", () => {
    const r = ensureEngine({ uid: 0 });
    expect(r.code).toBe(1);
    expect(stopLine(r)).toContain(`install ${PODMAN_PACKAGES} with your package manager`);
  });

  test("macOS without an engine: the Homebrew podman commands", () => {
    const r = ensureEngine({ os: "Darwin", uid: 501 });
    expect(r.code).toBe(1);
    expect(stopLine(r)).toBe(
      "error: no container engine answers: brew install podman && podman machine init --now, then run ./scripts/setup.sh again",
    );
  });

  test("macOS with Docker Desktop installed but not running: start it", () => {
    const r = ensureEngine({ os: "Darwin", docker: "no-daemon", uid: 501 });
    expect(r.code).toBe(1);
    expect(stopLine(r)).toBe(
      "error: docker's daemon is not running: start Docker Desktop (open -a Docker), then run ./scripts/setup.sh again",
    );
  });

  const root = process.getuid?.() === 0 && existsSync("/usr/bin/setpriv");
  test.skipIf(!root)(
    `a real unprivileged user (uid 65534 via setpriv${root ? "" : "; skipped: needs root"}), docker client without a daemon: names what to install`,
    () => {
      const r = ensureEngine({ docker: "no-daemon", apt: true, uid: "real" }, { asNobody: true });
      expect(r.code).toBe(1);
      expect(stopLine(r)).toContain(`ask an administrator to run 'apt-get install ${PODMAN_PACKAGES}'`);
      expect(r.calls).toContain("docker info");
    },
  );
});
