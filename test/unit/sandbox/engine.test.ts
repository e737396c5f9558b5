import { describe, expect, test } from "bun:test";
import { isBridgeError } from "../../../src/errors.ts";
import {
  checkImage,
  detectEngine,
  ensureImage,
  isCrunCgroupError,
  locateEngine,
  type EngineDeps,
  type ExecResult,
} from "../../../src/sandbox/engine.ts";
import { engineFromPath, guiPath, locateCommand, wellKnownDirs } from "../../../src/sandbox/engine-locate.ts";
import { guiClientCheck } from "../../../src/doctor/checks/sandbox.ts";

function fakeDeps(opts: { installed: string[]; answers?: Record<string, ExecResult>; env?: Record<string, string> }) {
  const calls: string[][] = [];
  const deps: EngineDeps = {
    which: (c) => (opts.installed.includes(c) ? `/usr/bin/${c}` : null),
    exec: async (argv) => {
      calls.push(argv);
      const key = argv.slice(1, 3).join(" ");
      return (
        opts.answers?.[key] ?? { exitCode: 0, stdout: key.startsWith("version") ? "4.3.1\n" : "false\n", stderr: "" }
      );
    },
    env: opts.env ?? {},
    platform: "linux",
    readFile: () => undefined,
  };
  return { deps, calls };
}

describe("detectEngine", () => {
  test("auto prefers podman, falls back to docker", async () => {
    const both = await detectEngine(
      { engine: "auto", ociRuntime: undefined },
      fakeDeps({ installed: ["podman", "docker"] }).deps,
    );
    expect(both).toEqual({
      name: "podman",
      binary: "/usr/bin/podman",
      located: "PATH",
      version: "4.3.1",
      rootless: false,
      remote: false,
      ociRuntime: undefined,
      limitsEnforced: true,
    });
    const docker = await detectEngine({ engine: "auto", ociRuntime: "runc" }, fakeDeps({ installed: ["docker"] }).deps);
    expect(docker.name).toBe("docker");
    expect(docker.ociRuntime).toBe("runc");
  });

  test("reports rootless and remote engines", async () => {
    const { deps } = fakeDeps({
      installed: ["podman"],
      answers: { "info --format": { exitCode: 0, stdout: "true\n", stderr: "" } },
      env: { CONTAINER_HOST: "ssh://x" },
    });
    const info = await detectEngine({ engine: "podman", ociRuntime: undefined }, deps);
    expect(info.rootless).toBe(true);
    expect(info.remote).toBe(true);
    const docker = await detectEngine(
      { engine: "docker", ociRuntime: undefined },
      fakeDeps({ installed: ["docker"], env: { DOCKER_HOST: "tcp://10.0.0.1:2376" } }).deps,
    );
    expect(docker.remote).toBe(true);
    const local = await detectEngine(
      { engine: "docker", ociRuntime: undefined },
      fakeDeps({ installed: ["docker"], env: { DOCKER_HOST: "unix:///var/run/docker.sock" } }).deps,
    );
    expect(local.remote).toBe(false);
  });

  test("rootless on cgroup v1 cannot enforce memory/pids/CPU limits; rootful or cgroup v2 can", async () => {
    const answer = (stdout: string) => ({ "info --format": { exitCode: 0, stdout, stderr: "" } });
    const podman = (stdout: string) =>
      detectEngine(
        { engine: "podman", ociRuntime: undefined },
        fakeDeps({ installed: ["podman"], answers: answer(stdout) }).deps,
      );
    expect((await podman("true v1\n")).limitsEnforced).toBe(false);
    expect((await podman("true v2\n")).limitsEnforced).toBe(true);
    expect((await podman("false v1\n")).limitsEnforced).toBe(true);
    const docker = (stdout: string) =>
      detectEngine(
        { engine: "docker", ociRuntime: undefined },
        fakeDeps({ installed: ["docker"], answers: answer(stdout) }).deps,
      );
    expect(await docker('1 ["name=seccomp,profile=builtin","name=rootless"]\n')).toMatchObject({
      rootless: true,
      limitsEnforced: false,
    });
    expect(await docker('2 ["name=rootless"]\n')).toMatchObject({ rootless: true, limitsEnforced: true });
    expect(await docker('1 ["name=seccomp,profile=builtin"]\n')).toMatchObject({
      rootless: false,
      limitsEnforced: true,
    });
  });

  test("missing engine → ENGINE_NOT_FOUND with an install hint", async () => {
    const err = await detectEngine({ engine: "auto", ociRuntime: undefined }, fakeDeps({ installed: [] }).deps).catch(
      (e) => e,
    );
    expect(isBridgeError(err, "ENGINE_NOT_FOUND")).toBe(true);
    expect(err.hint).toContain("Install podman");
    const named = await detectEngine(
      { engine: "docker", ociRuntime: undefined },
      fakeDeps({ installed: ["podman"] }).deps,
    ).catch((e) => e);
    expect(named.message).toContain("docker is not on PATH or in the usual install locations");
  });

  test("an engine that does not answer → ENGINE_FAILED naming the fix", async () => {
    const { deps } = fakeDeps({
      installed: ["docker"],
      answers: {
        "version --format": {
          exitCode: 1,
          stdout: "",
          stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock",
        },
      },
    });
    const err = await detectEngine({ engine: "docker", ociRuntime: undefined }, deps).catch((e) => e);
    expect(isBridgeError(err, "ENGINE_FAILED")).toBe(true);
    expect(err.message).toContain("Cannot connect to the Docker daemon");
    expect(err.hint).toContain("Start the docker daemon");
  });
});

describe("images", () => {
  const engine = { name: "podman" as const, binary: "podman" };
  test("checkImage asks the engine", async () => {
    const { deps, calls } = fakeDeps({
      installed: [],
      answers: { "image exists": { exitCode: 1, stdout: "", stderr: "" } },
    });
    expect(await checkImage(engine, "img", deps)).toBe(false);
    expect(calls[0]).toEqual(["podman", "image", "exists", "img"]);
  });

  test("ensureImage pulls once, and explains how to get the image when that fails", async () => {
    const { deps, calls } = fakeDeps({
      installed: [],
      answers: {
        "image exists": { exitCode: 1, stdout: "", stderr: "" },
        "pull img": { exitCode: 125, stdout: "", stderr: "Error: initializing source: no route to host" },
      },
    });
    let pulled = false;
    const err = await ensureImage(engine, "img", deps, () => {
      pulled = true;
    }).catch((e) => e);
    expect(pulled).toBe(true);
    expect(calls.map((c) => c[1])).toEqual(["image", "pull"]);
    expect(isBridgeError(err, "IMAGE_MISSING")).toBe(true);
    expect(err.message).toContain("no route to host");
    expect(err.hint).toContain("image build --use");
  });
});

test("recognises crun's hybrid-cgroup failure", () => {
  expect(
    isCrunCgroupError(
      "Error: crun: cgroups in hybrid mode not supported, drop all controllers from cgroupv2: OCI runtime error",
    ),
  ).toBe(true);
  expect(isCrunCgroupError("Error: runc: permission denied")).toBe(false);
});

describe("finding the engine outside PATH (GUI clients start bridge with a minimal PATH)", () => {
  const exe = (paths: string[]) => (p: string) => paths.includes(p);

  test("PATH first; then the install locations PATH lacks, in order, marked as not on PATH", () => {
    const env = { PATH: "/usr/bin:/bin", HOME: "/home/u" };
    expect(
      locateCommand("podman", {
        env,
        platform: "linux",
        isExecutable: exe(["/usr/bin/podman", "/home/u/.local/bin/podman"]),
      }),
    ).toEqual({ path: "/usr/bin/podman", onPath: true });
    expect(
      locateCommand("podman", { env, platform: "darwin", isExecutable: exe(["/opt/homebrew/bin/podman"]) }),
    ).toEqual({ path: "/opt/homebrew/bin/podman", onPath: false });
    expect(locateCommand("docker", { env, platform: "darwin", isExecutable: exe(["/usr/local/bin/docker"]) })).toEqual({
      path: "/usr/local/bin/docker",
      onPath: false,
    });
    expect(
      locateCommand("docker", {
        env,
        platform: "darwin",
        isExecutable: exe(["/Applications/Docker.app/Contents/Resources/bin/docker"]),
      })?.path,
    ).toBe("/Applications/Docker.app/Contents/Resources/bin/docker");
    expect(locateCommand("podman", { env, platform: "linux", isExecutable: exe([]) })).toBeUndefined();
  });

  test("with no PATH at all, the system directories are still searched", () => {
    expect(
      locateCommand("podman", { env: { HOME: "/h" }, platform: "linux", isExecutable: exe(["/usr/bin/podman"]) }),
    ).toEqual({ path: "/usr/bin/podman", onPath: false });
    expect(
      locateCommand("podman", {
        env: { HOME: "/h" },
        platform: "linux",
        isExecutable: exe(["/h/.local/bin/podman", "/usr/bin/podman"]),
      })?.path,
    ).toBe("/h/.local/bin/podman");
  });

  test("relative PATH entries are ignored (they depend on where bridge starts)", () => {
    expect(
      locateCommand("podman", { env: { PATH: "bin" }, platform: "linux", isExecutable: exe(["bin/podman"]), dirs: [] }),
    ).toBeUndefined();
  });

  test("a GUI-like PATH and the well-known directory lists", () => {
    expect(guiPath("darwin")).toBe("/usr/bin:/bin:/usr/sbin:/sbin");
    expect(wellKnownDirs("darwin", { HOME: "/Users/u" })).toEqual(
      expect.arrayContaining(["/opt/homebrew/bin", "/usr/local/bin", "/opt/podman/bin", "/Users/u/.local/bin"]),
    );
    expect(wellKnownDirs("linux", { HOME: "/home/u" })).toEqual(
      expect.arrayContaining(["/usr/local/bin", "/home/u/.local/bin", "/snap/bin", "/usr/bin"]),
    );
  });

  test("detectEngine reports an engine found outside PATH", async () => {
    const { deps } = fakeDeps({ installed: [] });
    deps.locate = (c) => (c === "podman" ? { path: "/opt/homebrew/bin/podman", onPath: false } : undefined);
    const info = await detectEngine({ engine: "auto", ociRuntime: undefined }, deps);
    expect(info).toMatchObject({ name: "podman", binary: "/opt/homebrew/bin/podman", located: "install-location" });
  });

  test("MCP_BRIDGE_ENGINE may be an absolute path; the engine comes from its name or from --version", async () => {
    const { deps } = fakeDeps({ installed: [] });
    deps.isExecutable = (p) => ["/opt/x/podman", "/opt/x/engine"].includes(p);
    expect(await locateEngine({ engine: "/opt/x/podman" }, deps)).toEqual({
      name: "podman",
      binary: "/opt/x/podman",
      located: "MCP_BRIDGE_ENGINE",
    });
    deps.exec = async () => ({ exitCode: 0, stdout: "Docker version 27.0.3, build 7d4bcd8\n", stderr: "" });
    expect((await locateEngine({ engine: "/opt/x/engine" }, deps)).name).toBe("docker");
    const missing = await locateEngine({ engine: "/nope/podman" }, deps).catch((e) => e);
    expect(isBridgeError(missing, "ENGINE_NOT_FOUND")).toBe(true);
    expect(missing.message).toContain("/nope/podman");
    expect(engineFromPath("C:\\Program Files\\RedHat\\Podman\\podman.exe")).toBe("podman");
  });
});

describe("doctor: the engine as a GUI client would find it", () => {
  test("found with a GUI client's PATH or in an install location: ok, with where", async () => {
    const deps = (env: Record<string, string | undefined>) => ({
      ...fakeDeps({ installed: [] }).deps,
      locate: (c: string) =>
        env.PATH === guiPath("darwin") && c === "podman"
          ? { path: "/opt/homebrew/bin/podman", onPath: false }
          : undefined,
    });
    const r = await guiClientCheck({ name: "podman", binary: "/opt/homebrew/bin/podman" }, deps, "darwin");
    expect(r).toMatchObject({ status: "ok", detail: expect.stringContaining("/opt/homebrew/bin/podman") });
  });

  test("not found that way: a warning with the env line to add to the client's bridge entry", async () => {
    const deps = () => ({ ...fakeDeps({ installed: [] }).deps, locate: () => undefined });
    const r = await guiClientCheck({ name: "podman", binary: "/home/u/tools/podman" }, deps, "darwin");
    expect(r.status).toBe("warn");
    expect(r.detail).toContain("PATH=/usr/bin:/bin:/usr/sbin:/sbin");
    expect(r.fix).toBe(
      `add to bridge's entry in that client's config: "env": { "MCP_BRIDGE_ENGINE": "/home/u/tools/podman" }`,
    );
  });
});
