/**
 * A remote engine: podman's API service on a unix socket, reached through CONTAINER_HOST, as with
 * podman machine or a remote host. Nothing is mounted from this machine, so everything must work.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BRIDGE_BIN, bridgeEnv, startBridge, tempDir, type RunningBridge } from "../support/bridge.ts";
import { ENGINES, type PodmanService, startPodmanService } from "../support/sandbox-engines.ts";
import { SYSCALL_PROBE, WORKS } from "../support/syscall-probe.ts";

const podman = ENGINES.find((e) => e.engine === "podman")?.usable ?? false;

describe.skipIf(!podman)(
  `run_python on a remote podman via CONTAINER_HOST${podman ? "" : " (SKIPPED: podman is not installed)"}`,
  () => {
    const root = tempDir();
    const socket = join(root.path, "podman.sock");
    let service: PodmanService | undefined;
    let b: RunningBridge;
    const env = () => bridgeEnv(root.path, { MCP_BRIDGE_ENGINE: "podman", CONTAINER_HOST: `unix://${socket}` });

    beforeAll(async () => {
      service = await startPodmanService(socket);
      b = await startBridge({ env: env() });
    }, 60_000);
    afterAll(async () => {
      await b?.close();
      await service?.stop();
      root.cleanup();
    }, 30_000);

    test("print, final value, and a timeout that removes the container", async () => {
      const r = (await b.client.callTool({ name: "run_python", arguments: { code: "print('remote')\n2 + 2" } })) as any;
      expect(r.structuredContent).toMatchObject({ status: "ok", output: "remote\n", result: "4" });
      const t = (await b.client.callTool({
        name: "run_python",
        arguments: { code: "import socket, time\nprint(socket.gethostname(), flush=True)\ntime.sleep(30)", timeout: 2 },
      })) as any;
      expect(t.structuredContent.status).toBe("timeout");
      const id = t.structuredContent.output.trim();
      const ps = Bun.spawnSync(
        ["podman", "--url", `unix://${socket}`, "ps", "-a", "--filter", `id=${id}`, "--format", "{{.ID}}"],
        { stdout: "pipe" },
      );
      expect(ps.stdout.toString().trim()).toBe("");
    }, 120_000);

    test("an allowed folder is copied in (not mounted) and /output files come back to the output folder", async () => {
      // Both outside BRIDGE_ROOT (root.path), which may never be allowed.
      const outside = tempDir("bridge-remote-files-");
      const data = join(outside.path, "sales");
      const reports = { path: join(outside.path, "reports"), cleanup: outside.cleanup };
      try {
        mkdirSync(data);
        mkdirSync(reports.path);
        writeFileSync(join(data, "q3.csv"), "region,amount\nnorth,10\n");
        const code =
          "import os\nprint(open('/data/sales/q3.csv').read().splitlines()[1], os.path.ismount('/data/sales'))\n_ = open('/output/r.txt', 'w').write('remote ok')";
        const proc = Bun.spawn([BRIDGE_BIN, "run", "-c", code], {
          env: { ...env(), MCP_BRIDGE_FOLDERS: data, MCP_BRIDGE_OUTPUT_FOLDER: reports.path },
          stdout: "pipe",
          stderr: "pipe",
        });
        const [out, err, code_] = await Promise.all([
          new Response(proc.stdout).text(),
          new Response(proc.stderr).text(),
          proc.exited,
        ]);
        expect(code_, err).toBe(0);
        expect(out).toBe("north,10 False\n");
        expect(readFileSync(join(reports.path, "r.txt"), "utf8")).toBe("remote ok");
      } finally {
        reports.cleanup();
      }
    }, 60_000);

    test("AF_VSOCK, io_uring and keyrings are refused there too (the runtime's own filter: a remote podman reads profile paths on its own machine)", async () => {
      const r = (await b.client.callTool({ name: "run_python", arguments: { code: SYSCALL_PROBE } })) as any;
      const { unshare: _, ...report } = JSON.parse(r.structuredContent.output);
      expect(report).toEqual({ vsock: "EPERM", io_uring_setup: "EPERM", keyctl: "EPERM", ...WORKS });
    }, 120_000);

    test("bridge run works against the remote engine", async () => {
      const proc = Bun.spawn([BRIDGE_BIN, "run", "-c", "print(sum(range(10)))"], {
        env: env(),
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(await new Response(proc.stdout).text()).toBe("45\n");
      expect(await proc.exited).toBe(0);
    }, 60_000);
  },
);
