/**
 * GUI clients (Claude Desktop, IDEs) start bridge with a minimal PATH or none. The compiled binary,
 * started with exactly the environment such a client gives it (like `env -i`), must still find the
 * container engine and run `print(1)`: with PATH=/usr/bin:/bin, with no PATH at all, and with the
 * engine only in a symlinked `~/.local/bin` (an install location off PATH). doctor says where it
 * found the engine.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, realpathSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { BRIDGE_BIN, requireBinary, resultText, startBridge, tempDir, TEST_IMAGE } from "../support/bridge.ts";
import { ENGINES } from "../support/sandbox-engines.ts";

requireBinary();
const engine = ENGINES.find((e) => e.usable)?.engine;

describe.skipIf(!engine)(
  `the engine is found as a GUI client starts bridge (${engine ?? "SKIPPED: no usable engine"})`,
  () => {
    const dir = tempDir("bridge-engine-path-");
    afterAll(dir.cleanup);
    const realEngine = engine ? realpathSync(Bun.which(engine)!) : "";

    /** Only what a GUI client passes, plus bridge's own settings (no inherited PATH). */
    const minimalEnv = (home: string, path?: string): Record<string, string> => ({
      HOME: home,
      BRIDGE_ROOT: join(home, ".bridge"),
      MCP_BRIDGE_IMAGE: TEST_IMAGE,
      MCP_BRIDGE_POOL_SIZE: "0",
      MCP_BRIDGE_LOG_LEVEL: "warn",
      ...(path !== undefined ? { PATH: path } : {}),
    });

    async function printOne(env: Record<string, string>): Promise<string> {
      const bridge = await startBridge({ env, cwd: dir.path });
      try {
        const r = await bridge.client.callTool({ name: "run_python", arguments: { code: "print(1)" } }, undefined, {
          timeout: 120_000,
        });
        expect(r.isError, `${resultText(r as { content?: unknown })}\nstderr:\n${bridge.stderr()}`).toBeFalsy();
        return resultText(r as { content?: unknown });
      } finally {
        await bridge.close();
      }
    }

    test("env -i HOME=… PATH=/usr/bin:/bin: run_python prints 1", async () => {
      const home = join(dir.path, "gui-path");
      mkdirSync(home, { recursive: true });
      expect((await printOne(minimalEnv(home, "/usr/bin:/bin"))).trim()).toBe("1");
    }, 180_000);

    test("no PATH at all: the engine (and runc, where crun cannot run on this host) is found in the system directories; run_python prints 1", async () => {
      const home = join(dir.path, "no-path");
      mkdirSync(home, { recursive: true });
      expect((await printOne(minimalEnv(home))).trim()).toBe("1");
    }, 180_000);

    test("the engine only in a symlinked ~/.local/bin, PATH without it: run_python prints 1 and doctor says where it was found", async () => {
      const home = join(dir.path, "symlinked");
      mkdirSync(join(home, ".local"), { recursive: true });
      const engineDir = join(dir.path, "engine-bin");
      mkdirSync(engineDir);
      symlinkSync(realEngine, join(engineDir, engine!));
      symlinkSync(engineDir, join(home, ".local", "bin"));
      const emptyPath = join(dir.path, "empty-bin");
      mkdirSync(emptyPath);
      const env = minimalEnv(home, emptyPath);
      expect((await printOne(env)).trim()).toBe("1");

      const doctor = Bun.spawnSync([BRIDGE_BIN, "doctor"], {
        env,
        cwd: dir.path,
        stdout: "pipe",
        stderr: "pipe",
        timeout: 180_000,
      });
      const out = doctor.stdout.toString() + doctor.stderr.toString();
      expect(out).toContain(`${join(home, ".local", "bin", engine!)}, found outside PATH`);
      // A GUI client's PATH (/usr/bin:/bin:/usr/sbin:/sbin) is checked too; the engine is in /usr/bin here, so it is found.
      expect(out).toMatch(/engine for GUI clients.*found at/);
    }, 300_000);

    test("MCP_BRIDGE_ENGINE may be the absolute path of the engine's CLI", async () => {
      const home = join(dir.path, "absolute");
      mkdirSync(home, { recursive: true });
      const link = join(dir.path, `my-${engine}`);
      symlinkSync(realEngine, link);
      // The file name says neither podman nor docker: bridge asks it (`--version`).
      expect((await printOne({ ...minimalEnv(home), MCP_BRIDGE_ENGINE: link })).trim()).toBe("1");
    }, 180_000);
  },
);
