/**
 * Forged channel frames (issue 8, Low): code in a cell can read the kernel's nonce and send any
 * frame the kernel could (`show_image.__self__` is the kernel). A forged `done` with bad fields used
 * to surface as a raw schema dump or blame the memory limit; image frames were passed on as PNG
 * without a host-side check. Now each is refused with an honest message and the next call works.
 * Since show_image also takes JPEG, GIF and WebP (issue 14), those are checked on the host as
 * strictly as PNG (structure, ≤ 8000 px a side) and reach the client with their own MIME type.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bridgeEnv, resultText, startBridge, tempDir, type RunningBridge } from "../support/bridge.ts";
import { ENGINES } from "../support/sandbox-engines.ts";

type Result = {
  content: Array<{ type: string; text?: string; data?: string; mimeType?: string }>;
  structuredContent?: { status: string; output: string; error?: string; result?: string };
  isError?: boolean;
};

const FORGE = "k = show_image.__self__  # the kernel object: it holds the nonce\n";
/** Python that builds a real w×h PNG (8-bit grey). */
const PNG = `
import struct, zlib
def png(w, h, claim=None):
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    cw, ch = claim or (w, h)
    raw = b"".join(b"\\0" + b"\\x80" * w for _ in range(h))
    return b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", cw, ch, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
`;

for (const { engine, usable } of ENGINES) {
  describe.skipIf(!usable)(`forged sandbox frames on ${engine}${usable ? "" : " (SKIPPED: not installed)"}`, () => {
    const root = tempDir();
    let b: RunningBridge;
    const run = async (code: string): Promise<Result> =>
      (await b.client.callTool({ name: "run_python", arguments: { code } }, undefined, { timeout: 120_000 })) as Result;
    beforeAll(async () => {
      b = await startBridge({ env: bridgeEnv(root.path, { MCP_BRIDGE_ENGINE: engine }) });
    });
    afterAll(async () => {
      await b?.close();
      root.cleanup();
    }, 60_000);

    /** A forged done must give a clear, honest error (no schema dump, no memory blame) and leave the next call working. */
    const expectRefused = async (r: Result, mention: RegExp) => {
      const text = resultText(r);
      expect(r.isError).toBe(true);
      expect(r.structuredContent?.status).toBe("error");
      expect(text).toContain("bridge refused the sandbox's end-of-run message");
      expect(text).toMatch(mention);
      expect(text).not.toMatch(/memory limit|invalid_value|invalid_type|ZodError|"code":/);
      expect((await run("print('next')")).structuredContent?.output).toBe("next\n");
    };

    test("a done frame with an unknown status", async () => {
      await expectRefused(
        await run(`${FORGE}k.send({"t": "done", "status": "owned"})\nimport time; time.sleep(5)`),
        /status/,
      );
    }, 120_000);

    test("a done frame with a non-integer exit code", async () => {
      await expectRefused(
        await run(`${FORGE}k.send({"t": "done", "status": "exit", "exitCode": "zero"})\nimport time; time.sleep(5)`),
        /exitCode/,
      );
    }, 120_000);

    test("a done frame whose body is not what its header says (the old JSON body)", async () => {
      await expectRefused(
        await run(
          `${FORGE}k.send({"t": "done", "status": "ok"}, b'{"value": "spoofed", not json')\nimport time; time.sleep(5)`,
        ),
        /do not match its body/,
      );
    }, 120_000);

    test("a done frame claiming a 20 MB value is refused unread", async () => {
      await expectRefused(
        await run(
          `${FORGE}k.send({"t": "done", "status": "ok", "valueBytes": 20_000_000}, b"v" * 20_000_000)\nimport time; time.sleep(5)`,
        ),
        /20000000 bytes/,
      );
    }, 120_000);

    test("images are checked on the host: signature-only bytes, absurd dimensions and bad CRCs are dropped, a real PNG passes", async () => {
      const code = [
        PNG,
        "show_image(b'\\x89PNG\\r\\n\\x1a\\n' + b'not really a png' * 10)",
        "show_image(png(2, 2, claim=(100_000, 100_000)))",
        "bad = bytearray(png(2, 2)); bad[20] ^= 1",
        "show_image(bytes(bad))",
        FORGE + "k.send({'t': 'image'}, b'GIF89a' + b'x' * 100)",
        "show_image(png(3, 2))",
      ].join("\n");
      const r = await run(code);
      expect(r.structuredContent?.status).toBe("ok");
      const images = r.content.filter((c) => c.type === "image");
      expect(images).toHaveLength(1);
      const png = Buffer.from(images[0]!.data!, "base64");
      expect(png.readUInt32BE(16)).toBe(3);
      const out = r.structuredContent!.output;
      expect(out).toContain("[bridge: image dropped: the first chunk is not IHDR]");
      expect(out).toContain("[bridge: image dropped: 100000×100000 px, more than 8000 px on a side]");
      expect(out).toContain("[bridge: image dropped: the IHDR chunk's CRC does not match]");
      expect(out).toContain("[bridge: image dropped: GIF: 30840×30840 px, more than 8000 px on a side]");
    }, 120_000);

    test("JPEG, GIF and WebP are checked as strictly as PNG: Pillow's files pass with their MIME type, forged ones are dropped", async () => {
      const code = [
        "import io, struct",
        "from PIL import Image",
        "def enc(fmt, size=(5, 4), **kw):",
        "    b = io.BytesIO(); Image.new('RGB', size, (200, 30, 30)).save(b, fmt, **kw); return b.getvalue()",
        "jpeg, gif, webp = enc('JPEG'), enc('GIF'), enc('WEBP', lossless=True)",
        "for img in (jpeg, gif, webp): show_image(img)",
        // A JPEG whose frame header claims 9000 px, a GIF header over garbage, a WebP cut short.
        "sof = jpeg.index(b'\\xff\\xc0'); show_image(jpeg[:sof + 5] + struct.pack('>H', 9000) + jpeg[sof + 7:])",
        "show_image(b'GIF89a' + b'x' * 100)",
        "show_image(webp[:-4])",
        // Forged frames straight to the host (the kernel's signature check is bypassed).
        FORGE + "k.send({'t': 'image', 'mime': 'image/png'}, b'\\xff\\xd8\\xff' + b'\\x00' * 64)",
      ].join("\n");
      const r = await run(code);
      expect(r.structuredContent?.status, JSON.stringify(r.structuredContent)).toBe("ok");
      const images = r.content.filter((c) => c.type === "image");
      expect(images.map((i) => i.mimeType)).toEqual(["image/jpeg", "image/gif", "image/webp"]);
      const gif = Buffer.from(images[1]!.data!, "base64");
      expect(gif.toString("latin1", 0, 6)).toBe("GIF87a");
      expect(gif.readUInt16LE(6)).toBe(5);
      const out = r.structuredContent!.output;
      expect(out).toContain("[bridge: image dropped: JPEG: 5×9000 px, more than 8000 px on a side]");
      expect(out).toMatch(/\[bridge: image dropped: GIF: [^\]]+\]/);
      expect(out).toMatch(/\[bridge: image dropped: WebP: the RIFF header says \d+ bytes, the image has \d+\]/);
      expect(out.match(/\[bridge: image dropped: JPEG: /g)).toHaveLength(2);
    }, 120_000);
  });
}
