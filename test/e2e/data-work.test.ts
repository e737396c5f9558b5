/**
 * Data work end to end, per engine: the compiled `dist/bridge serve` with the datascience image
 * (built offline by `bridge image build`), a folder the user allowed, one allowed read-write and an
 * output folder. pandas reads the CSV, the summary CSV and the chart land in the output folder and
 * come back in the result; `to_csv` into the read-write folder lands on the host; warm-imported modules start pristine in every call; oversized figures are downscaled;
 * a missing package names the command that builds an image with it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bridgeEnv, resultText, startBridge, tempDir, type RunningBridge } from "../support/bridge.ts";
import { DATA_IMAGE, hasDataImage } from "../support/data-image.ts";
import { ENGINES } from "../support/sandbox-engines.ts";

type FileEntry = { name: string; type: string; size: number; path?: string; uri?: string };
type Structured = {
  status: string;
  output: string;
  result?: string;
  error?: string;
  note?: string;
  files?: FileEntry[];
};
type Content = {
  type: string;
  text?: string;
  data?: string;
  uri?: string;
  name?: string;
  size?: number;
  resource?: { uri: string; mimeType: string; text?: string; blob?: string };
};
type Result = { content: Content[]; structuredContent: Structured; isError?: boolean };

const pngSize = (b64: string) => {
  const b = Buffer.from(b64, "base64");
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
};

for (const { engine, usable } of ENGINES) {
  const ready = usable && hasDataImage(engine);
  const why = !usable
    ? `${engine} is not installed or not answering`
    : `${DATA_IMAGE} is not in ${engine} (scripts/test.sh builds it)`;
  describe.skipIf(!ready)(`data work on ${engine}${ready ? "" : ` (SKIPPED: ${why})`}`, () => {
    const root = tempDir();
    const sales = join(root.path, "sales");
    const reports = join(root.path, "reports");
    const cleaned = join(root.path, "cleaned");
    let b: RunningBridge;
    const run = async (code: string, extra: Record<string, unknown> = {}) =>
      (await b.client.callTool({ name: "run_python", arguments: { code, ...extra } }, undefined, {
        timeout: 180_000,
      })) as Result;

    beforeAll(async () => {
      mkdirSync(sales);
      mkdirSync(reports);
      mkdirSync(cleaned);
      chmodSync(cleaned, 0o777); // writable by the sandbox's user (uid 65534)
      writeFileSync(join(sales, "sales.csv"), "region,amount\nnorth,10\nsouth,20\nnorth,5\n");
      b = await startBridge({
        env: bridgeEnv(join(root.path, "home"), {
          MCP_BRIDGE_ENGINE: engine,
          MCP_BRIDGE_IMAGE: DATA_IMAGE,
          MCP_BRIDGE_FOLDERS: `${sales},${cleaned}:rw`,
          MCP_BRIDGE_OUTPUT_FOLDER: reports,
          MCP_BRIDGE_TOOLS: "sandbox",
        }),
      });
    }, 60_000);
    afterAll(async () => {
      await b?.close();
      root.cleanup();
    }, 60_000);

    test("the server tells the model where the folders are", () => {
      const text = b.client.getInstructions() ?? "";
      expect(text).toContain(`/data/sales (${sales}), read-only`);
      expect(text).toContain(`read and write the user's folders /data/cleaned (${cleaned})`);
      expect(text).toContain(`saved to ${reports}`);
    });

    test("pandas reads the allowed folder; the summary CSV and the chart land in the output folder and come back listed", async () => {
      const r = await run(
        [
          "import pandas as pd, matplotlib.pyplot as plt",
          'df = pd.read_csv("/data/sales/sales.csv")',
          'summary = df.groupby("region")["amount"].agg(["sum", "mean"])',
          'summary.to_csv("/output/summary.csv")',
          'summary["sum"].plot(kind="bar")',
          'plt.savefig("/output/chart.png")',
          "plt.show()",
          'summary["sum"].to_dict()',
        ].join("\n"),
      );
      expect(r.isError, resultText(r)).toBeFalsy();
      const s = r.structuredContent;
      expect(s.result).toBe("{'north': 15, 'south': 20}");
      const csv = readFileSync(join(reports, "summary.csv"), "utf8");
      expect(csv).toBe("region,sum,mean\nnorth,15,7.5\nsouth,20,20.0\n");
      expect(s.files).toEqual([
        {
          name: "/output/chart.png",
          type: "image/png",
          size: readFileSync(join(reports, "chart.png")).length,
          path: join(reports, "chart.png"),
        },
        { name: "/output/summary.csv", type: "text/csv", size: csv.length, path: join(reports, "summary.csv") },
      ]);
      // The figure still open at plt.show() is an image; the files are resources with their type.
      expect(r.content.filter((c) => c.type === "image")).toHaveLength(1);
      const embedded = r.content.find((c) => c.type === "resource" && c.resource?.mimeType === "text/csv")!;
      expect(embedded.resource!.text).toBe(csv);
      const read = await b.client.readResource({ uri: embedded.resource!.uri });
      expect(read.contents[0]).toMatchObject({ mimeType: "text/csv", text: csv });
      expect(resultText(r)).toContain(
        `[file /output/summary.csv: ${csv.length} B text/csv, saved to ${join(reports, "summary.csv")}]`,
      );
    }, 120_000);

    test("pandas writes into the read-write folder with to_csv: the host has the file, the next call reads it back, and it is not a result file", async () => {
      const r = await run(
        [
          "import pandas as pd",
          'df = pd.read_csv("/data/sales/sales.csv")',
          'df[df.amount > 5].to_csv("/data/cleaned/big.csv", index=False)',
        ].join("\n"),
      );
      expect(r.isError, resultText(r)).toBeFalsy();
      expect(readFileSync(join(cleaned, "big.csv"), "utf8")).toBe("region,amount\nnorth,10\nsouth,20\n");
      expect(r.structuredContent.files ?? []).toEqual([]);
      const back = await run('import pandas as pd\nlen(pd.read_csv("/data/cleaned/big.csv"))');
      expect(back.structuredContent.result).toBe("2");
    }, 120_000);

    test("warm imports: numpy, pandas and pyplot are loaded before the code runs, and nothing a call does to them reaches the next call", async () => {
      // One pool container, so the mutated container is the one the next call gets (after its reset).
      const solo = await startBridge({
        env: bridgeEnv(join(root.path, "home-solo"), {
          MCP_BRIDGE_ENGINE: engine,
          MCP_BRIDGE_IMAGE: DATA_IMAGE,
          MCP_BRIDGE_POOL_SIZE: "1",
          MCP_BRIDGE_TOOLS: "sandbox",
        }),
      });
      const call = async (code: string) =>
        (await solo.client.callTool({ name: "run_python", arguments: { code } }, undefined, {
          timeout: 180_000,
        })) as Result;
      try {
        await call("1");
        await Bun.sleep(700);
        const mutate = await call(
          [
            "import sys, socket, json",
            'warm = sorted(m for m in ("numpy", "pandas", "matplotlib.pyplot") if m in sys.modules)',
            "import numpy, pandas, matplotlib",
            "numpy.foo = 1",
            'pandas.DataFrame.sum = lambda self, *a, **k: "patched"',
            'matplotlib.rcParams["lines.linewidth"] = 9',
            "print(json.dumps([warm, socket.gethostname(), numpy.foo, pandas.DataFrame({'a': [1]}).sum(), numpy.random.rand()]))",
          ].join("\n"),
        );
        const [warm, host, foo, sum, random] = JSON.parse(mutate.structuredContent.output) as [
          string[],
          string,
          number,
          string,
          number,
        ];
        expect(warm).toEqual(["matplotlib.pyplot", "numpy", "pandas"]);
        expect([foo, sum]).toEqual([1, "patched"]);
        const draws = [random];
        for (let i = 0; i < 2; i++) {
          await Bun.sleep(700);
          const r = await call(
            'import numpy, pandas, matplotlib, socket, matplotlib.pyplot as plt\nprint(numpy.random.rand())\n(hasattr(numpy, "foo"), pandas.DataFrame({"a": [1, 2]}).sum().tolist(), matplotlib.rcParams["lines.linewidth"], socket.gethostname(), plt.get_fignums())',
          );
          // The same container (its hostname), yet none of the previous call's changes, and no
          // figure left by the kernel's idle warm-up rounds (it waited 700 ms: they ran).
          expect(r.structuredContent.result).toBe(`(False, [3], 1.5, '${host}', [])`);
          draws.push(Number(r.structuredContent.output));
        }
        // numpy's global random state is reseeded in every kernel: no two calls draw the same numbers.
        expect(new Set(draws).size).toBe(3);
      } finally {
        await solo.close();
      }
    }, 120_000);

    test("a figure larger than clients accept is drawn smaller, and so is a huge PNG (Pillow), each with a note", async () => {
      const r = await run(
        [
          "import io, matplotlib.pyplot as plt",
          "from PIL import Image",
          "plt.figure(figsize=(100, 10), dpi=100)",
          "plt.plot([0, 1])",
          "plt.show()",
          "buf = io.BytesIO()",
          'Image.new("RGB", (9000, 20), "white").save(buf, format="PNG")',
          "show_image(buf.getvalue())",
        ].join("\n"),
      );
      expect(r.isError, resultText(r)).toBeFalsy();
      const images = r.content.filter((c) => c.type === "image").map((c) => pngSize(c.data!));
      expect(images).toHaveLength(2);
      for (const size of images) expect(Math.max(size.width, size.height)).toBeLessThanOrEqual(8000);
      expect(r.structuredContent.output).toContain("instead of 100, so that its largest side is at most 8000 px");
      expect(r.structuredContent.output).toContain("image of 9000 x 20 px");
    }, 120_000);

    test("a figure comes back with the pixels, size, dpi and Software text of matplotlib's own PNG", async () => {
      const first = await run(
        [
          "import matplotlib.pyplot as plt",
          "fig = plt.figure(figsize=(6.33, 4.17), dpi=97)",
          'plt.plot(range(100)); plt.title("pixels")',
          'fig.savefig("/tmp/reference.png")',
          "plt.show()",
        ].join("\n"),
        { session: "pixels" },
      );
      expect(first.isError, resultText(first)).toBeFalsy();
      const images = first.content.filter((c) => c.type === "image");
      expect(images.map((c) => pngSize(c.data!))).toEqual([{ width: 614, height: 404 }]);
      const compare = (b64: string, path: string) =>
        [
          "import base64, io, numpy as np",
          "from PIL import Image",
          `got, ref = Image.open(io.BytesIO(base64.b64decode("${b64}"))), Image.open("${path}")`,
          "(got.size == ref.size, got.mode == ref.mode, got.info.get('dpi') == ref.info.get('dpi'), got.info.get('Software') == ref.info.get('Software'), np.array_equal(np.asarray(got), np.asarray(ref)))",
        ].join("\n");
      const r = await run(compare(images[0]!.data!, "/tmp/reference.png"), { session: "pixels" });
      expect(r.structuredContent.result, resultText(r)).toBe("(True, True, True, True, True)");
    }, 120_000);

    test("a missing data-science package names the command that builds an image with it", async () => {
      const r = await run("import statsmodels.api");
      expect(r.isError).toBe(true);
      expect(r.structuredContent.error).toContain("ModuleNotFoundError: No module named 'statsmodels'");
      expect(r.structuredContent.error).toContain("image build --preset datascience --add statsmodels --use");
    }, 120_000);

    test("a session returns only the files that are new or changed since its last call", async () => {
      const first = await run('open("/output/a.txt", "w").write("a")', { session: "files" });
      expect(first.structuredContent.files?.map((f) => f.name)).toEqual(["/output/a.txt"]);
      const second = await run('open("/output/b.txt", "w").write("b")', { session: "files" });
      expect(second.structuredContent.files?.map((f) => f.name)).toEqual(["/output/b.txt"]);
      expect(readFileSync(join(reports, "b.txt"), "utf8")).toBe("b");
    }, 120_000);
  });
}
