/** `bridge run` end to end: the compiled binary, a real container engine, exit codes and streams. */
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BRIDGE_BIN, bridgeEnv, requireBinary, tempDir } from "../support/bridge.ts";
import { ENGINES } from "../support/sandbox-engines.ts";

requireBinary();
const engine = ENGINES.find((e) => e.usable)?.engine;
const root = tempDir();
afterAll(root.cleanup);

async function bridgeRun(args: string[], stdin?: string) {
  const proc = Bun.spawn([BRIDGE_BIN, "run", ...args], {
    env: bridgeEnv(root.path, { MCP_BRIDGE_ENGINE: engine ?? "auto" }),
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

describe.skipIf(!engine)(
  `bridge run on ${engine ?? "no engine (SKIPPED: neither podman nor docker is usable)"}`,
  () => {
    test("-c CODE prints output then the final value; exit 0", async () => {
      const r = await bridgeRun(["-c", "print('hi')\nprint()\n6 * 7"]);
      expect(r).toMatchObject({ stdout: "hi\n\n42\n", code: 0 });
    }, 60_000);

    test("FILE and - (stdin) run the same way", async () => {
      const file = join(root.path, "x.py");
      writeFileSync(file, "import sys\nprint(sys.version_info[0])\n");
      expect(await bridgeRun([file])).toMatchObject({ stdout: "3\n", code: 0 });
      expect(await bridgeRun(["-"], "print('from stdin')")).toMatchObject({ stdout: "from stdin\n", code: 0 });
    }, 60_000);

    test("an exception: traceback on stderr, exit 1; SystemExit(n) exits n", async () => {
      const err = await bridgeRun(["-c", "raise KeyError('k')"]);
      expect(err.code).toBe(1);
      expect(err.stderr).toContain("KeyError: 'k'");
      expect((await bridgeRun(["-c", "raise SystemExit(4)"])).code).toBe(4);
    }, 60_000);

    test("--images DIR saves PNGs", async () => {
      const dir = join(root.path, "imgs");
      const r = await bridgeRun([
        "--images",
        dir,
        "-c",
        "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()",
      ]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`saved 1 image(s) to ${dir}`);
      expect((await Bun.file(join(dir, "image-1.png")).bytes()).subarray(1, 4)).toEqual(
        new TextEncoder().encode("PNG"),
      );
    }, 60_000);

    test("--timeout: partial output, 'timed out', exit 1", async () => {
      const r = await bridgeRun(["--timeout", "2s", "-c", "import time\nprint('started', flush=True)\ntime.sleep(30)"]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("started\n");
      expect(r.stderr).toContain("timed out");
    }, 60_000);

    test("memory helpers work from bridge run, and an un-awaited helper is an error, not a silent no-op", async () => {
      const forgot = await bridgeRun(["-c", "save_memory('cli-k', 1)"]);
      expect(forgot.code).toBe(1);
      expect(forgot.stderr).toContain("save_memory: called but never awaited, so it did not run");
      expect(forgot.stderr).toContain("save_memory_sync");
      expect((await bridgeRun(["-c", "x = load_memory('cli-k')"])).stderr).toContain(
        "load_memory: called but never awaited",
      );
      const own = await bridgeRun(["-c", "async def f():\n    return 1\nf()"]);
      expect(own.code).toBe(1);
      expect(own.stderr).toContain("f: called but never awaited");
      expect(own.stderr).not.toContain("f_sync");
      const ok = await bridgeRun([
        "-c",
        "await save_memory('cli-k', {'n': 1})\nprint(await load_memory('cli-k'))\nload_memory_sync('cli-k')['n']",
      ]);
      expect(ok).toMatchObject({ stdout: "{'n': 1}\n1\n", code: 0 });
    }, 60_000);
  },
);

describe("bridge run usage errors (no engine needed)", () => {
  test("nothing to run, both FILE and -c, a missing file, a bad timeout → exit 2 with a hint", async () => {
    const none = await bridgeRun([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("nothing to run");
    expect((await bridgeRun(["a.py", "-c", "1"])).code).toBe(2);
    const missing = await bridgeRun(["/nonexistent/x.py"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read /nonexistent/x.py");
    expect((await bridgeRun(["--timeout", "soon", "-c", "1"])).stderr).toContain("is not a duration");
  }, 30_000);
});
