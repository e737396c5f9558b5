import { describe, expect, test } from "bun:test";
import { isBridgeError } from "../../../src/errors.ts";
import { encodeFrame, FrameDecoder, MAX_HEADER_BYTES } from "../../../src/sandbox/framing.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("frame encoding and decoding", () => {
  test("round-trips header and body", () => {
    const f = encodeFrame({ t: "out", id: 3 }, bytes("hello"));
    const frames = new FrameDecoder().push(f);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.header).toEqual({ t: "out", id: 3 });
    expect(new TextDecoder().decode(frames[0]!.body)).toBe("hello");
  });

  test("reassembles frames split at every byte and several frames per chunk", () => {
    const all = new Uint8Array([
      ...encodeFrame({ t: "a" }, bytes("1")),
      ...encodeFrame({ t: "b" }),
      ...encodeFrame({ t: "c" }, bytes("xyz")),
    ]);
    const d = new FrameDecoder();
    const got: string[] = [];
    for (let i = 0; i < all.length; i++)
      for (const f of d.push(all.subarray(i, i + 1))) got.push(f.header.t + new TextDecoder().decode(f.body));
    expect(got).toEqual(["a1", "b", "cxyz"]);
    expect(d.pending).toBe(0);
    expect(new FrameDecoder().push(all).map((f) => f.header.t)).toEqual(["a", "b", "c"]);
  });

  test("binary bodies (all byte values, 10 MB) pass intact", () => {
    const body = new Uint8Array(10 * 1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = i % 256;
    const f = encodeFrame({ t: "out" }, body);
    const d = new FrameDecoder();
    const out = [];
    for (let i = 0; i < f.length; i += 65536) out.push(...d.push(f.subarray(i, i + 65536)));
    expect(out).toHaveLength(1);
    expect(Buffer.compare(Buffer.from(out[0]!.body), Buffer.from(body))).toBe(0);
  });

  test("a corrupt stream fails with SANDBOX_FAILED instead of waiting forever", () => {
    const huge = new Uint8Array(8);
    new DataView(huge.buffer).setUint32(0, MAX_HEADER_BYTES + 1);
    expect(() => new FrameDecoder().push(huge)).toThrow(/corrupt/);
    const notJson = new Uint8Array([0, 0, 0, 3, 0, 0, 0, 0, 120, 120, 120]);
    try {
      new FrameDecoder().push(notJson);
      throw new Error("expected a throw");
    } catch (err) {
      expect(isBridgeError(err, "SANDBOX_FAILED")).toBe(true);
    }
    const noType = encodeFrame({ x: 1 } as never);
    expect(() => new FrameDecoder().push(noType)).toThrow(/no type/);
  });
});

describe("the Python side of the channel (host python3, if installed)", () => {
  const python = Bun.which("python3");
  test.skipIf(!python)("the nonce-framed control reader skips garbage and fake frames, keeps real ones", async () => {
    const { RUNTIME_SOURCE } = await import("../../../src/sandbox/container.ts");
    // Load the runtime's definitions without running main().
    const defs = RUNTIME_SOURCE.replace(/\nmain\(\)\s*$/, "\n");
    const script = `${defs}
nonce = b"N" * 16
r = FrameReader(nonce)
real = nonce + frame({"t": "done", "status": "ok"}, b"body")
fake = frame({"t": "done", "status": "ok", "value": "SPOOF"})
out = []
for chunk in [b"garbage" + fake, real[:5], real[5:] + b"\\xff" * 40 + fake, nonce + b"\\xff\\xff\\xff\\xff" + real]:
    out += r.feed(chunk)
print(json.dumps([[h, b.decode()] for h, b in out]))
`;
    const proc = Bun.spawnSync([python!, "-c", script], { stdout: "pipe", stderr: "pipe" });
    expect(proc.stderr.toString()).toBe("");
    expect(JSON.parse(proc.stdout.toString())).toEqual([
      [{ t: "done", status: "ok" }, "body"],
      [{ t: "done", status: "ok" }, "body"],
    ]);
  });
});

describe("body limits", () => {
  test("a body over the limit for its type is skipped, not buffered, and the stream stays in sync", () => {
    const limit = (h: { t: string }) => (h.t === "small" ? 4 : 1 << 30);
    const big = encodeFrame({ t: "small", id: 1 }, new Uint8Array(100_000).fill(7));
    const next = encodeFrame({ t: "small", id: 2 }, bytes("ok"));
    const all = new Uint8Array([...big, ...next]);
    const d = new FrameDecoder(limit);
    const got = [];
    for (let i = 0; i < all.length; i += 1000) {
      got.push(...d.push(all.subarray(i, i + 1000)));
      expect(d.pending).toBeLessThanOrEqual(2000);
    }
    expect(got.map((f) => [f.header.id, f.dropped, new TextDecoder().decode(f.body)])).toEqual([
      [1, 100_000, ""],
      [2, undefined, "ok"],
    ]);
  });

  test("the dropped frame is reported as soon as its header is in", () => {
    const d = new FrameDecoder(() => 10);
    const f = encodeFrame({ t: "x" }, new Uint8Array(50));
    const first = d.push(f.subarray(0, f.length - 50));
    expect(first).toEqual([{ header: { t: "x" }, body: new Uint8Array(0), dropped: 50 }]);
    expect(d.push(f.subarray(f.length - 50))).toEqual([]);
    expect(d.pending).toBe(0);
  });

  test("a header over the decoder's own header limit is corrupt", () => {
    const f = encodeFrame({ t: "x", pad: "y".repeat(200) });
    expect(() => new FrameDecoder(undefined, 100).push(f)).toThrow(/corrupt/);
  });
});
