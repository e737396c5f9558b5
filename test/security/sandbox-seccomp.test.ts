/**
 * vsock and io_uring inside the sandbox (issue 8, Medium 10): `socket(AF_VSOCK)` worked (bind too)
 * on both engines, which on VM-backed hosts is a path to the host outside `--network none`, and
 * docker allowed `io_uring_setup`. bridge now ships its own seccomp profile, and the runtime adds a
 * filter of its own inside the container (for engines that cannot be given the profile). Normal
 * Python (threads, subprocesses, asyncio, multiprocessing) must keep working.
 */
import { describe, expect, test } from "bun:test";
import { bridgeEnv, startBridge, tempDir } from "../support/bridge.ts";
import { ENGINES } from "../support/sandbox-engines.ts";
import { SYSCALL_PROBE as PROBE, WORKS } from "../support/syscall-probe.ts";

for (const { engine, usable } of ENGINES) {
  describe.skipIf(!usable)(
    `syscalls refused in the sandbox on ${engine}${usable ? "" : " (SKIPPED: not installed)"}`,
    () => {
      const probe = async (extra: Record<string, string>) => {
        const root = tempDir();
        const b = await startBridge({
          env: bridgeEnv(root.path, { MCP_BRIDGE_ENGINE: engine, MCP_BRIDGE_POOL_SIZE: "0", ...extra }),
        });
        try {
          const r = (await b.client.callTool({ name: "run_python", arguments: { code: PROBE } }, undefined, {
            timeout: 120_000,
          })) as { structuredContent?: { status: string; output: string; error?: string } };
          expect(r.structuredContent?.error).toBeUndefined();
          return JSON.parse(r.structuredContent!.output);
        } finally {
          await b.close();
          root.cleanup();
        }
      };

      test("bridge's profile: AF_VSOCK, io_uring, keyrings and user namespaces are refused; threads, subprocesses, asyncio, multiprocessing work", async () => {
        expect(await probe({})).toEqual({
          vsock: "EPERM",
          io_uring_setup: "EPERM",
          keyctl: "EPERM",
          unshare: "EPERM",
          ...WORKS,
        });
      }, 120_000);

      test("with the engine's own profile (MCP_BRIDGE_SECCOMP=engine) the runtime's filter still refuses AF_VSOCK, io_uring and keyrings", async () => {
        const { unshare: _, ...rest } = await probe({ MCP_BRIDGE_SECCOMP: "engine" });
        expect(rest).toEqual({ vsock: "EPERM", io_uring_setup: "EPERM", keyctl: "EPERM", ...WORKS });
      }, 120_000);
    },
  );
}
