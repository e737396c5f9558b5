/** The bounded stdio transport: line framing, limits and the errors it answers itself. */
import { describe, expect, test } from "bun:test";
import { PassThrough } from "node:stream";
import { BoundedStdioTransport } from "../../../src/mcp/stdio-transport.ts";

function setup(limit: number) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const out: any[] = [];
  stdout.on("data", (c: Buffer) => {
    for (const l of c.toString().split("\n").filter(Boolean)) out.push(JSON.parse(l));
  });
  const t = new BoundedStdioTransport(stdin, stdout, limit);
  const got: any[] = [];
  t.onmessage = (m) => got.push(m);
  let closed = 0;
  t.onclose = () => closed++;
  void t.start();
  return { stdin, out, got, closed: () => closed };
}
const tick = () => new Promise((r) => setTimeout(r, 5));

describe("BoundedStdioTransport", () => {
  test("messages split across chunks, several per chunk, CRLF", async () => {
    const { stdin, got } = setup(1000);
    stdin.write('{"jsonrpc":"2.0","method":"a"}\n{"jsonrpc":"2.0",');
    stdin.write('"method":"b"}\r\n{"jsonrpc":"2.0","id":1,"method":"c"}\n');
    await tick();
    expect(got.map((m) => m.method)).toEqual(["a", "b", "c"]);
  });
  test("a line exactly at the limit passes; one byte more is answered, then the next line passes", async () => {
    const { stdin, got, out } = setup(60);
    const msg = (n: number) => {
      const base = '{"jsonrpc":"2.0","id":1,"method":"x","params":{"p":""}}';
      return base.replace('""', `"${"z".repeat(n - base.length)}"`);
    };
    stdin.write(`${msg(60)}\n`);
    stdin.write(`${msg(61)}\n`);
    stdin.write('{"jsonrpc":"2.0","method":"after"}\n');
    await tick();
    expect(got.map((m) => m.method)).toEqual(["x", "after"]);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ id: 1, error: { code: -32600, data: { size: 61, limit: 60 } } });
  });
  test("stdin EOF closes the transport once", async () => {
    const { stdin, closed } = setup(100);
    stdin.end();
    await tick();
    expect(closed()).toBe(1);
  });
});
