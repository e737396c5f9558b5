/**
 * One endless message from an upstream server is cut off at the message limit before it is
 * buffered: stdout lines (line-reader.ts), JSON bodies and SSE events (capped-fetch.ts). The server
 * is closed with `server X sent a message larger than …` and the next call starts it again.
 * serve's peak memory against the stdio flood: test/security/upstream-memory.test.ts.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventSizer } from "../../../src/upstream/capped-fetch.ts";
import { LineReader, MessageTooLargeError } from "../../../src/upstream/line-reader.ts";
import { UpstreamRegistry } from "../../../src/upstream/registry.ts";
import type { ServerEntry } from "../../../src/upstream/types.ts";
import { alive, floodingHttpServer, floodingServer, wrapperTree } from "../../support/upstream-misbehaving.ts";

const MiB = 1024 * 1024;
const base = { source: "/test/.mcp.json", format: "claude-code", scope: "user", status: "ok" } as const;

describe("LineReader", () => {
  test("joins lines across chunks, strips CR, keeps no line past the limit and counts what follows", () => {
    const r = new LineReader(10);
    const lines: string[] = [];
    const push = (s: string) => r.push(Buffer.from(s), (l) => lines.push(l));
    push('{"a"');
    push(':1}\r\n{"b":2}\n\n{"c"');
    expect(lines).toEqual(['{"a":1}', '{"b":2}', ""]);
    push(":3}\n");
    expect(lines.at(-1)).toBe('{"c":3}');
    push("0123456789"); // exactly the limit: kept
    push("\n");
    expect(lines.at(-1)).toBe("0123456789");
    push("01234");
    expect(() => push("567890\nnext\n")).toThrow(MessageTooLargeError);
    push("more\n");
    expect(lines.at(-1)).toBe("0123456789"); // nothing after the oversized line is delivered
    expect(r.discarded).toBe(12 + 5);
    r.clear();
    push("ok\n");
    expect(lines.at(-1)).toBe("ok");
  });
});

describe("EventSizer", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  test("counts one SSE event up to its blank line (LF, CR or CRLF), not the stream", () => {
    const s = new EventSizer(20);
    for (let i = 0; i < 1000; i++) expect(s.over(enc("data: 0123456789\n\n"))).toBe(false);
    expect(s.over(enc("data: 0123456789\r\n\r\n"))).toBe(false);
    expect(s.over(enc("data: 01234\r\rdata: 01234\r\n\r\n"))).toBe(false);
    expect(s.over(enc("data: 0123"))).toBe(false);
    expect(s.over(enc("456789\ndata: x"))).toBe(true); // one event spread over data lines
  });
});

let state: string;
const cleanups: Array<() => Promise<void> | void> = [];
beforeEach(() => {
  state = mkdtempSync(join(tmpdir(), "bridge-flood-"));
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  rmSync(state, { recursive: true, force: true });
});

function registry(entry: ServerEntry): UpstreamRegistry {
  const r = new UpstreamRegistry({
    discover: async () => [entry],
    stateDir: state,
    timeoutMs: 20_000,
    maxMessageBytes: MiB,
    log: { debug() {}, warn() {} },
  });
  cleanups.push(() => r.closeAll());
  return r;
}

test("a stdio server writing an endless line is closed at the limit and its process group ended", async () => {
  const marker = `bridge-flood-unit-${process.pid}-${Date.now()}`;
  const r = registry({ ...base, name: "flood", transport: "stdio", ...floodingServer(marker) });
  const err = await r.tools("flood").catch((e) => e);
  expect(err.message).toBe(
    'server flood could not start (command "/bin/sh"): server flood sent a message larger than 1.0 MiB; bridge closed the connection',
  );
  const end = Date.now() + 3000;
  while (Date.now() < end && wrapperTree(marker).some(alive)) await Bun.sleep(50);
  expect(wrapperTree(marker)).toEqual([]);
}, 30_000);

for (const kind of ["json", "sse"] as const) {
  test(`an HTTP server answering with an endless ${kind === "sse" ? "SSE event" : "JSON body"} is closed at the limit; the next call reconnects`, async () => {
    const server = floodingHttpServer(kind);
    cleanups.push(server.stop);
    const r = registry({ ...base, name: "flood", transport: "http", url: server.url });
    expect((await r.tools("flood")).map((t) => t.name)).toEqual(["flood"]);
    const t = Date.now();
    const err = await r.call("flood", "flood", {}).catch((e) => e);
    expect(err.message).toBe("server flood sent a message larger than 1.0 MiB; bridge closed the connection");
    expect(Date.now() - t).toBeLessThan(10_000); // not the 20 s request timeout
    // Read no further than the limit plus what sockets hold.
    await Bun.sleep(200);
    expect(server.sent()).toBeLessThan(16 * MiB);
    expect((await r.tools("flood")).map((t) => t.name)).toEqual(["flood"]);
  }, 30_000);
}
