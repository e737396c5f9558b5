/** bridge's embedded seccomp profile: what it refuses, and when it is passed to the engine. */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildRunArgv } from "../../../src/sandbox/argv.ts";
import { SECCOMP_PROFILE, seccompOption } from "../../../src/sandbox/seccomp.ts";
import { loadConfig } from "../../../src/config/index.ts";

type Rule = {
  names: string[];
  action: string;
  args?: Array<{ index: number; value: number; op: string }>;
  includes?: { caps?: string[] };
};
const profile = JSON.parse(SECCOMP_PROFILE) as { defaultAction: string; syscalls: Rule[] };
/** Rules that can allow a syscall in a container with every capability dropped. */
const allowing = profile.syscalls.filter((r) => r.action === "SCMP_ACT_ALLOW" && !r.includes?.caps?.length);

describe("the embedded seccomp profile", () => {
  test("refuses by default; no rule allows io_uring or the keyring syscalls", () => {
    expect(profile.defaultAction).toBe("SCMP_ACT_ERRNO");
    const names = new Set(allowing.flatMap((r) => r.names));
    for (const n of [
      "io_uring_setup",
      "io_uring_enter",
      "io_uring_register",
      "keyctl",
      "add_key",
      "request_key",
      "unshare",
      "mount",
      "setns",
    ])
      expect(names.has(n), n).toBe(false);
    for (const n of ["read", "write", "clone", "socket", "futex", "epoll_wait"]) expect(names.has(n), n).toBe(true);
  });

  test("socket is allowed only for families other than AF_VSOCK (40)", () => {
    const socketRules = allowing.filter((r) => r.names.includes("socket"));
    expect(socketRules.length).toBeGreaterThan(0);
    const allows = (family: number) =>
      socketRules.some((r) =>
        (r.args ?? []).every(
          (a) =>
            a.index !== 0 ||
            (a.op === "SCMP_CMP_LT"
              ? family < a.value
              : a.op === "SCMP_CMP_GT"
                ? family > a.value
                : a.op === "SCMP_CMP_EQ"
                  ? family === a.value
                  : a.op === "SCMP_CMP_NE"
                    ? family !== a.value
                    : false),
        ),
      );
    expect(allows(40)).toBe(false);
    for (const family of [1, 2, 10, 16]) expect(allows(family), `family ${family}`).toBe(true);
  });

  test("it is written privately and passed to the engine, except to a remote podman or when the setting says so", () => {
    const dir = mkdtempSync(join(tmpdir(), "bridge-seccomp-"));
    try {
      const path = seccompOption("bridge", { name: "docker", remote: true }, () => dir)!;
      expect(readFileSync(path, "utf8")).toBe(SECCOMP_PROFILE);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(seccompOption("bridge", { name: "podman", remote: false }, () => dir)).toBe(path);
      expect(seccompOption("bridge", { name: "podman", remote: true }, () => dir)).toBeUndefined();
      expect(seccompOption("engine", { name: "docker", remote: false }, () => dir)).toBeUndefined();
      expect(seccompOption("/etc/my.json", { name: "podman", remote: true }, () => dir)).toBe("/etc/my.json");
      const argv = buildRunArgv(loadConfig({ env: {} }), {
        engine: "docker",
        binary: "docker",
        name: "n",
        ownerPid: 1,
        rlimits: { nofile: 1, nproc: 1 },
        seccompProfile: path,
      });
      expect(argv.join(" ")).toContain(`--security-opt seccomp=${path}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
