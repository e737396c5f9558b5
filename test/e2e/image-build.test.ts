/**
 * `bridge image build` through the compiled binary. scripts/test.sh builds the test images with it
 * (offline from Debian packages: no registry here), so those builds are the real thing; this file
 * checks what a user sees afterwards: an up-to-date tag is recognised by its recipe stamp in a
 * second, `--use` writes the tag into the config file keeping the rest, doctor reports the
 * packages, and bad arguments are usage errors.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BRIDGE_BIN, TEST_IMAGE, bridgeEnv, requireBinary, tempDir } from "../support/bridge.ts";
import { DATA_IMAGE, hasDataImage } from "../support/data-image.ts";
import { ENGINES } from "../support/sandbox-engines.ts";

const root = tempDir();
afterAll(root.cleanup);

async function bridge(args: string[], env: Record<string, string>) {
  const proc = Bun.spawn([requireBinary(), ...args], { env, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { out, err, code };
}

test("bad arguments are usage errors (exit 2) that say what is accepted", async () => {
  const env = bridgeEnv(root.path);
  const preset = await bridge(["image", "build", "--preset", "huge"], env);
  expect([preset.code, preset.err]).toEqual([
    2,
    expect.stringContaining('--preset "huge": expected minimal or datascience'),
  ]);
  const add = await bridge(["image", "build", "--add", "numpy;rm -rf /"], env);
  expect([add.code, add.err]).toEqual([2, expect.stringContaining("is not a package name")]);
  const action = await bridge(["image", "frob"], env);
  expect([action.code, action.err]).toEqual([2, expect.stringContaining('unknown image action "frob"')]);
}, 60_000);

for (const { engine, usable } of ENGINES) {
  const ready = usable && hasDataImage(engine);
  describe.skipIf(!ready)(
    `image build on ${engine}${ready ? "" : ` (SKIPPED: ${usable ? `${DATA_IMAGE} is not in ${engine}` : `${engine} is not usable`})`}`,
    () => {
      test("an image built by this recipe is up to date at once; --use sets it in the config file and keeps the other keys", async () => {
        const home = join(root.path, engine);
        mkdirSync(home, { recursive: true });
        writeFileSync(join(home, "config.json"), JSON.stringify({ timeout: "45s" }));
        const env = bridgeEnv(home, { MCP_BRIDGE_ENGINE: engine, MCP_BRIDGE_LOG_LEVEL: "info" });
        delete env.MCP_BRIDGE_IMAGE;
        const started = Date.now();
        const r = await bridge(["image", "build", "--offline", "--tag", DATA_IMAGE, "--use"], env);
        expect(r.code, r.err).toBe(0);
        expect(Date.now() - started).toBeLessThan(30_000);
        expect(r.out).toBe(`${DATA_IMAGE}\n`);
        expect(r.err).toContain(
          `${DATA_IMAGE} is up to date in ${engine} (built offline from Debian packages by this recipe; --rebuild to redo it)`,
        );
        expect(JSON.parse(readFileSync(join(home, "config.json"), "utf8"))).toEqual({
          timeout: "45s",
          image: DATA_IMAGE,
        });
        const inspect = Bun.spawnSync([engine, "image", "inspect", "--format", "{{json .Config.Env}}", DATA_IMAGE], {
          stdout: "pipe",
        });
        expect(inspect.stdout.toString()).toContain("BRIDGE_IMAGE_PRESET=datascience");
      }, 120_000);

      test("doctor says which data-science packages the image has and which modules are warm, and what to run when some are missing", async () => {
        const env = bridgeEnv(join(root.path, `${engine}-doctor`), {
          MCP_BRIDGE_ENGINE: engine,
          MCP_BRIDGE_IMAGE: DATA_IMAGE,
        });
        const full = JSON.parse((await bridge(["doctor", "--json"], env)).out) as Array<{
          name: string;
          status: string;
          detail: string;
          fix?: string;
        }>;
        const ds = full.find((x) => x.name === "data science")!;
        expect(ds.status).toBe("ok");
        expect(ds.detail).toMatch(
          /^numpy \S+, pandas \S+, matplotlib \S+, scipy \S+, scikit-learn \S+; warm imports: matplotlib\.pyplot, numpy, pandas$/,
        );
        const lean = JSON.parse(
          (await bridge(["doctor", "--json"], { ...env, MCP_BRIDGE_IMAGE: TEST_IMAGE, MCP_BRIDGE_WARM_IMPORTS: "" }))
            .out,
        ) as typeof full;
        const some = lean.find((x) => x.name === "data science")!;
        expect(some.status).toBe("warn");
        expect(some.detail).toContain("lacks pandas");
        expect(some.fix).toContain("image build --preset datascience --use");
      }, 180_000);
    },
  );
}

test("the binary under test is the one built from this tree", () => {
  expect(BRIDGE_BIN.endsWith("dist/bridge")).toBe(true);
});
