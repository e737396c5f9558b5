/** Host calls from a container stay within budgets: parameters in flight, results not yet read. */
import { describe, expect, test } from "bun:test";
import { SandboxContainer, type ContainerProcess } from "../../../src/sandbox/container.ts";
import { encodeFrame, FrameDecoder } from "../../../src/sandbox/framing.ts";
import { CALL_BYTES_IN_FLIGHT, REPLY_BYTES_QUEUED } from "../../../src/sandbox/messages.ts";

/** A container process whose stdout we write and whose stdin writes never complete when `stuck`. */
function fakeProcess(opts: { stuck?: boolean } = {}) {
  const out = new TransformStream<Uint8Array, Uint8Array>();
  const writer = out.writable.getWriter();
  const replies: Array<{ header: any; body: string }> = [];
  const decoder = new FrameDecoder();
  let seenRuntime = false;
  const proc: ContainerProcess = {
    async write(data) {
      if (!seenRuntime) {
        seenRuntime = data.length > 4 && data[0] !== 0;
        return;
      }
      for (const f of decoder.push(data))
        if (f.header.t === "reply") replies.push({ header: f.header, body: new TextDecoder().decode(f.body) });
      if (opts.stuck) await new Promise(() => {});
    },
    closeStdin() {},
    stdout: out.readable,
    stderr: () => "",
    exited: new Promise(() => {}),
    kill() {},
  };
  const send = (header: Record<string, unknown>, body = "") =>
    writer.write(encodeFrame(header as never, new TextEncoder().encode(body)));
  return { spawn: () => proc, replies, send };
}

async function started(opts: { stuck?: boolean } = {}) {
  const f = fakeProcess(opts);
  void f.send({ t: "ready", pid: 1 });
  const c = await SandboxContainer.start("t", [], { modules: {}, preludes: [] }, f.spawn);
  return { c, ...f };
}

describe("host calls from a container", () => {
  test("parameters beyond the in-flight budget are refused while earlier calls run", async () => {
    const { c, replies, send } = await started();
    const release = Promise.withResolvers<void>();
    void c.exec(
      "x",
      [],
      {
        onOutput() {},
        onImage() {},
        onCall: async () => {
          await release.promise;
          return "ok";
        },
      },
      1000,
    );
    const big = JSON.stringify("p".repeat(10 * 1024 * 1024));
    const n = Math.floor(CALL_BYTES_IN_FLIGHT / big.length) + 1;
    for (let i = 1; i <= n; i++) await send({ t: "call", id: 1, cid: i, method: "m" }, big);
    await Bun.sleep(50);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.header).toMatchObject({ cid: n, ok: false });
    expect(replies[0]!.header.error).toContain("already being handled");
    release.resolve();
    await Bun.sleep(50);
    expect(replies.filter((r) => r.header.ok)).toHaveLength(n - 1);
  });

  test("results the container does not read are not queued without bound", async () => {
    const { c, replies, send } = await started({ stuck: true });
    const result = "r".repeat(4 * 1024 * 1024);
    void c.exec("x", [], { onOutput() {}, onImage() {}, onCall: async () => result }, 1000);
    const n = Math.ceil(REPLY_BYTES_QUEUED / result.length) + 2;
    for (let i = 1; i <= n; i++) await send({ t: "call", id: 1, cid: i, method: "m" }, "null");
    await Bun.sleep(100);
    const refused = replies.filter((r) => !r.header.ok);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused[0]!.header.error).toContain("has not read");
  });
});
