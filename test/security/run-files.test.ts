/**
 * Files `bridge run` reads and writes (issue 8, Medium 5 and Low "--images follows a symlink"):
 * `bridge run FIFO` blocked forever (and a device was read without end); `--images DIR` wrote
 * through a symlink planted as `image-1.png` (overwriting its target) or blocked on a FIFO there.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BRIDGE_BIN, bridgeEnv, requireBinary, tempDir } from "../support/bridge.ts";
import { ENGINES } from "../support/sandbox-engines.ts";

requireBinary();
const root = tempDir();
afterAll(root.cleanup);
const engine = ENGINES.find((e) => e.usable)?.engine;

/** Runs `bridge run ARGS`; a run still going after `ms` is killed and reported as hung. */
async function bridgeRun(args: string[], ms = 30_000, eng: string = engine ?? "auto") {
  const proc = Bun.spawn([BRIDGE_BIN, "run", ...args], {
    env: bridgeEnv(root.path, { MCP_BRIDGE_ENGINE: eng }),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), ms);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { stdout, stderr, code, hung: proc.signalCode === "SIGKILL" };
}

const mkfifo = (path: string) => expect(Bun.spawnSync(["mkfifo", path]).exitCode).toBe(0);

describe("bridge run FILE", () => {
  test("a FIFO named as the script is refused at once, not read", async () => {
    const fifo = join(root.path, "script.py");
    mkfifo(fifo);
    const r = await bridgeRun([fifo], 10_000);
    expect(r.hung, "bridge run blocked on the FIFO").toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot run ${fifo}: it is not a regular file (a FIFO)`);
  }, 30_000);

  test("a device is refused instead of read without end", async () => {
    const r = await bridgeRun(["/dev/zero"], 10_000);
    expect(r.hung).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("not a regular file (a device)");
  }, 30_000);

  test("a symlink to a script still runs (the user named it)", async () => {
    if (!engine) return;
    const real = join(root.path, "real.py");
    writeFileSync(real, "print('linked')");
    const link = join(root.path, "link.py");
    symlinkSync(real, link);
    expect(await bridgeRun([link])).toMatchObject({ stdout: "linked\n", code: 0 });
  }, 60_000);
});

describe.skipIf(!engine)(`bridge run --images DIR${engine ? "" : " (SKIPPED: no engine)"}`, () => {
  const plot = "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()";

  test("a symlink planted as image-1.png is replaced, its target left alone", async () => {
    const dir = join(root.path, "imgs-link");
    mkdirSync(dir);
    const victim = join(root.path, "victim.txt");
    writeFileSync(victim, "precious");
    symlinkSync(victim, join(dir, "image-1.png"));
    const r = await bridgeRun(["--images", dir, "-c", plot]);
    expect(r.code).toBe(0);
    expect(readFileSync(victim, "utf8")).toBe("precious");
    const saved = join(dir, "image-1.png");
    expect(lstatSync(saved).isFile()).toBe(true);
    expect(readFileSync(saved).subarray(1, 4).toString()).toBe("PNG");
  }, 60_000);

  test("a FIFO planted as image-1.png does not block it", async () => {
    const dir = join(root.path, "imgs-fifo");
    mkdirSync(dir);
    mkfifo(join(dir, "image-1.png"));
    const r = await bridgeRun(["--images", dir, "-c", plot], 30_000);
    expect(r.hung, "bridge run blocked writing into the FIFO").toBe(false);
    expect(r.code).toBe(0);
    expect(lstatSync(join(dir, "image-1.png")).isFile()).toBe(true);
  }, 60_000);
});
