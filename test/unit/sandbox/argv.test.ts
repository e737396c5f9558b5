import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../../src/config/index.ts";
import { BOOTSTRAP, buildRemoveArgv, buildRunArgv } from "../../../src/sandbox/argv.ts";

const config = (env: Record<string, string> = {}) =>
  loadConfig({ env: { BRIDGE_ROOT: "/nonexistent", ...env }, readFile: () => undefined });
const base = {
  binary: "/usr/bin/podman",
  name: "bridge-1-1-abc",
  ownerPid: 42,
  rlimits: { nofile: 4096, nproc: 2048 },
};
const pairs = (argv: string[]) => argv.map((a, i) => `${a} ${argv[i + 1]}`);

describe("container argv", () => {
  test("hardening defaults, labels, explicit rlimits, no mounts, bootstrap last", () => {
    const argv = buildRunArgv(config(), { ...base, engine: "podman" });
    expect(argv.slice(0, 3)).toEqual(["/usr/bin/podman", "run", "-i"]);
    const p = pairs(argv);
    for (const want of [
      "--network none",
      "--cap-drop ALL",
      "--security-opt no-new-privileges",
      "--user 65534:65534",
      "--memory 512m",
      "--memory-swap 512m",
      "--pids-limit 128",
      "--ulimit nofile=4096:4096",
      "--ulimit nproc=2048:2048",
      "--ulimit msgqueue=0:0",
      "--label io.bridge.owner=42",
      "--name bridge-1-1-abc",
      "--log-driver none",
      "--pull never",
    ]) {
      expect(p).toContain(want);
    }
    expect(argv).toContain("--read-only");
    expect(argv).toContain("--rm");
    expect(p).toContain("--tmpfs /tmp:rw,nosuid,nodev,size=64m,mode=1777");
    expect(p).toContain("--tmpfs /workspace:rw,nosuid,nodev,size=64m,mode=1777");
    expect(argv.some((a) => a === "-v" || a === "--volume" || a === "--mount")).toBe(false);
    expect(argv.includes("--cpus")).toBe(false);
    expect(argv.slice(-4)).toEqual(["python:3.14-slim", "python3", "-c", BOOTSTRAP]);
  });

  test("settings change the flags", () => {
    const argv = buildRunArgv(
      config({
        MCP_BRIDGE_READ_ONLY: "false",
        MCP_BRIDGE_CAP_DROP: "",
        MCP_BRIDGE_NO_NEW_PRIVILEGES: "0",
        MCP_BRIDGE_CPUS: "1.5",
        MCP_BRIDGE_PIDS: "0",
        MCP_BRIDGE_NETWORK: "bridge",
        MCP_BRIDGE_IMAGE: "img:1",
        MCP_BRIDGE_MEMORY: "1g",
        MCP_BRIDGE_CONTAINER_USER: "1000",
      }),
      { ...base, engine: "docker", binary: "docker" },
    );
    const p = pairs(argv);
    expect(argv).not.toContain("--read-only");
    expect(argv).not.toContain("--cap-drop");
    expect(argv).not.toContain("--security-opt");
    expect(argv).not.toContain("--pids-limit");
    expect(p).toContain("--cpus 1.5");
    expect(p).toContain("--network bridge");
    expect(p).toContain("--memory 1g");
    expect(p).toContain("--user 1000");
    expect(argv.at(-4)).toBe("img:1");
  });

  test("OCI runtime: a global flag for podman, a run flag for docker", () => {
    const podman = buildRunArgv(config(), { ...base, engine: "podman", ociRuntime: "runc" });
    expect(podman.slice(0, 4)).toEqual(["/usr/bin/podman", "--runtime", "runc", "run"]);
    const docker = buildRunArgv(config(), { ...base, engine: "docker", binary: "docker", ociRuntime: "runc" });
    expect(docker.indexOf("--runtime")).toBeGreaterThan(docker.indexOf("run"));
    expect(docker).not.toContain("--read-only-tmpfs=false");
  });

  test("remove argv kills immediately and tolerates missing containers", () => {
    expect(buildRemoveArgv("podman", "podman", ["a", "b"])).toEqual([
      "podman",
      "rm",
      "-f",
      "-t",
      "0",
      "--ignore",
      "a",
      "b",
    ]);
    expect(buildRemoveArgv("docker", "docker", ["a"])).toEqual(["docker", "rm", "-f", "a"]);
  });

  test("the bootstrap reads a length-prefixed runtime from stdin", () => {
    expect(BOOTSTRAP).toContain("os.read(0");
    expect(BOOTSTRAP).toContain("int.from_bytes(r(4),'big')");
  });
});
