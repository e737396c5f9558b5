/**
 * Attacks on result files (/output → MCP_BRIDGE_OUTPUT_FOLDER), against the compiled binary with
 * real engines: links and FIFOs in /output are skipped, never followed or waited on; nothing in
 * the output folder is replaced or reached through a link; forged `file` frames (sent with the
 * kernel's own channel, found in its memory) cannot name a path outside the folder, nor pass the
 * caps on files, bytes and notes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bridgeEnv, startBridge, tempDir, type RunningBridge } from "../support/bridge.ts";
import { ENGINES } from "../support/sandbox-engines.ts";

type Result = {
  content: unknown[];
  structuredContent: { status: string; output: string; files?: Array<{ name: string; path?: string }> };
  isError?: boolean;
};

for (const { engine, usable } of ENGINES) {
  describe.skipIf(!usable)(
    `result files on ${engine}${usable ? "" : ` (SKIPPED: ${engine} is not installed or not answering)`}`,
    () => {
      const root = tempDir("bridge-sec-out-");
      const out = join(root.path, "reports");
      const elsewhere = join(root.path, "elsewhere");
      let b: RunningBridge;
      const run = async (code: string) =>
        (await b.client.callTool({ name: "run_python", arguments: { code, timeout: 20 } }, undefined, {
          timeout: 120_000,
        })) as Result;

      beforeAll(async () => {
        mkdirSync(out);
        mkdirSync(elsewhere);
        writeFileSync(join(out, "summary.csv"), "the user's own file\n");
        symlinkSync(elsewhere, join(out, "linked"));
        b = await startBridge({
          env: bridgeEnv(join(root.path, "home"), {
            MCP_BRIDGE_ENGINE: engine,
            MCP_BRIDGE_OUTPUT_FOLDER: out,
            MCP_BRIDGE_TOOLS: "sandbox",
          }),
        });
      }, 60_000);
      afterAll(async () => {
        await b?.close();
        root.cleanup();
      }, 60_000);

      test("links and FIFOs in /output are skipped with a note, never followed or waited on", async () => {
        const started = Date.now();
        const r = await run(
          "import os\nos.symlink('/etc/passwd', '/output/passwd')\nos.mkfifo('/output/fifo')\nos.mkdir('/output/d')\nos.symlink('/etc', '/output/d/etc')\nopen('/output/ok.txt', 'w').write('ok')",
        );
        expect(Date.now() - started).toBeLessThan(15_000);
        expect(r.structuredContent.status).toBe("ok");
        expect(r.structuredContent.files?.map((f) => f.name)).toEqual(["/output/ok.txt"]);
        expect(r.structuredContent.output).toContain("[bridge: /output/passwd skipped: a symbolic link]");
        expect(r.structuredContent.output).toContain("[bridge: /output/fifo skipped: not a regular file]");
        expect(r.structuredContent.output).toContain("[bridge: /output/d/etc skipped: a symbolic link]");
        expect(readdirSync(out).sort()).toEqual(["linked", "ok.txt", "summary.csv"]);
      }, 120_000);

      test("nothing in the output folder is replaced, and nothing is written through a link in it", async () => {
        const r = await run(
          "import os\nopen('/output/summary.csv', 'w').write('from the sandbox')\nos.mkdir('/output/linked')\nopen('/output/linked/evil.txt', 'w').write('x')",
        );
        expect(readFileSync(join(out, "summary.csv"), "utf8")).toBe("the user's own file\n");
        expect(readFileSync(join(out, "summary-1.csv"), "utf8")).toBe("from the sandbox");
        expect(r.structuredContent.files?.find((f) => f.name === "/output/summary.csv")?.path).toBe(
          join(out, "summary-1.csv"),
        );
        expect(readdirSync(elsewhere)).toEqual([]);
        expect(r.structuredContent.output).toContain(
          `[bridge: /output/linked/evil.txt not saved to ${out}: ${join(out, "linked")} is a symbolic link]`,
        );
      }, 120_000);

      test("forged file frames naming paths outside the folder are dropped", async () => {
        const forge = [
          "import gc",
          "k = next(o for o in gc.get_objects() if type(o).__name__ == 'Kernel')",
          "for name in ['../escape.txt', '/tmp/abs.txt', 'a/../../up.txt', '..']:",
          "    k.send({'t': 'file', 'name': name, 'offset': 0, 'last': True, 'size': 1}, b'x')",
          "k.send({'t': 'file', 'name': 'forged.txt', 'offset': 0, 'last': True, 'size': 1}, b'f')",
        ].join("\n");
        const r = await run(forge);
        expect(r.structuredContent.status).toBe("ok");
        expect(r.structuredContent.files?.map((f) => f.name)).toEqual(["/output/forged.txt"]);
        for (const name of ["../escape.txt", "/tmp/abs.txt", "a/../../up.txt", ".."])
          expect(r.structuredContent.output).toContain(`[bridge: /output/${name} not returned: not a valid file name]`);
        expect(
          readdirSync(root.path)
            .filter((n) => n !== "home")
            .sort(),
        ).toEqual(["elsewhere", "reports"]);
        expect(readdirSync(out).filter((n) => /escape|abs|up/.test(n))).toEqual([]);
      }, 120_000);

      test("forged file frames cannot pass the file cap with one name repeated, nor flood the result with notes", async () => {
        const forge = [
          "import gc",
          "k = next(o for o in gc.get_objects() if type(o).__name__ == 'Kernel')",
          "for i in range(300):",
          "    k.send({'t': 'file', 'name': 'dup.txt', 'offset': 0, 'last': True, 'size': 0}, b'')",
          "for i in range(300):",
          "    k.send({'t': 'file', 'name': '../bad%d' % i, 'offset': 0, 'last': True, 'size': 1}, b'x')",
        ].join("\n");
        const r = await run(forge);
        expect(r.structuredContent.status).toBe("ok");
        expect(r.structuredContent.files?.map((f) => f.name)).toEqual(["/output/dup.txt"]);
        expect(readdirSync(out).filter((n) => n.startsWith("dup"))).toEqual(["dup.txt"]);
        expect(r.structuredContent.output).toContain(
          "[bridge: /output/dup.txt: chunks after its last one were ignored]",
        );
        expect(r.structuredContent.output.match(/not returned: not a valid file name/g)?.length).toBe(15);
        expect(r.structuredContent.output).toContain("[bridge: 285 more result file chunks or files not returned");
      }, 120_000);
    },
  );
}
