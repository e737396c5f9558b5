/** run_python's result with files and notices: compact structured entries, embedded or linked content, readable URIs. */
import { expect, test } from "bun:test";
import type { OutcomeFile, RunOutcome } from "../../../src/output/format.ts";
import { MAX_READ_BYTES, ResultFileStore } from "../../../src/mcp/resources/files.ts";
import { runResult } from "../../../src/mcp/tools/run-python.ts";

const file = (name: string, data: Uint8Array | string, mimeType: string, savedTo?: string): OutcomeFile => ({
  name,
  data: typeof data === "string" ? new TextEncoder().encode(data) : data,
  mimeType,
  ...(savedTo ? { savedTo } : {}),
});
const outcome = (extra: Partial<RunOutcome>): RunOutcome =>
  ({ status: "ok", output: { text: "hi\n", truncated: false, totalBytes: 3 }, images: [], ...extra }) as RunOutcome;

test("files: structured entries say where each went; small ones are embedded, large ones linked; URIs read back", () => {
  const store = new ResultFileStore();
  const big = new Uint8Array(20_000).fill(7);
  const r = runResult(
    outcome({
      files: [
        file("summary.csv", "a,b\n1,2\n", "text/csv", "/home/u/reports/summary.csv"),
        file("tiny.bin", new Uint8Array([0, 255]), "application/octet-stream"),
        file("big.parquet", big, "application/vnd.apache.parquet"),
      ],
    }),
    "compact",
    undefined,
    { store },
  );
  const s = r.structuredContent as { files: unknown[] };
  expect(s.files).toEqual([
    { name: "/output/summary.csv", type: "text/csv", size: 8, path: "/home/u/reports/summary.csv" },
    { name: "/output/tiny.bin", type: "application/octet-stream", size: 2, uri: "bridge://files/2/tiny.bin" },
    {
      name: "/output/big.parquet",
      type: "application/vnd.apache.parquet",
      size: 20_000,
      uri: "bridge://files/3/big.parquet",
    },
  ]);
  expect(r.content.slice(1)).toEqual([
    { type: "resource", resource: { uri: "bridge://files/1/summary.csv", mimeType: "text/csv", text: "a,b\n1,2\n" } },
    {
      type: "resource",
      resource: { uri: "bridge://files/2/tiny.bin", mimeType: "application/octet-stream", blob: "AP8=" },
    },
    {
      type: "resource_link",
      uri: "bridge://files/3/big.parquet",
      name: "big.parquet",
      mimeType: "application/vnd.apache.parquet",
      size: 20_000,
    },
  ]);
  const text = (r.content[0] as { text: string }).text.split("\n");
  expect(text.slice(0, 3)).toEqual([
    "hi",
    "[file /output/summary.csv: 8 B text/csv, saved to /home/u/reports/summary.csv]",
    "[file /output/tiny.bin: 2 B application/octet-stream]",
  ]);
  expect(text[3]).toMatch(/^\[file \/output\/big\.parquet: [\d.]+ KiB application\/vnd\.apache\.parquet\]$/);
  expect(store.read("bridge://files/3/big.parquet").data).toEqual(big);
  expect(() => store.read("bridge://files/9/nope")).toThrow(/not a result file of this bridge session/);
  expect(store.list().map((x) => x.uri)).toEqual([
    "bridge://files/3/big.parquet",
    "bridge://files/2/tiny.bin",
    "bridge://files/1/summary.csv",
  ]);
});

test("the store keeps at most its byte budget in memory (oldest dropped) and refuses what no message can carry", () => {
  const store = new ResultFileStore(10);
  const a = store.put(file("a", "123456", "text/plain"));
  const b = store.put(file("b", "123456", "text/plain"));
  expect(() => store.read(a)).toThrow(/not a result file/);
  expect(new TextDecoder().decode(store.read(b).data)).toBe("123456");
  const huge = new ResultFileStore().put(
    file("huge.bin", new Uint8Array(MAX_READ_BYTES + 1), "application/octet-stream"),
  );
  expect(() => new ResultFileStore().read(huge)).toThrow();
});

test("a session notice comes first in the text and in note", () => {
  const r = runResult(
    outcome({
      status: "error",
      error: "NameError: name 'a' is not defined\n",
      notice: 'session "s" starts fresh: it was idle',
    }),
    "compact",
    "timeout clamped",
  );
  expect((r.content[0] as { text: string }).text.split("\n")[0]).toBe('[session "s" starts fresh: it was idle]');
  expect((r.structuredContent as { note: string }).note).toBe('session "s" starts fresh: it was idle; timeout clamped');
});

test("embedding stops at 8 KiB per file and 16 KiB per result (Claude Code shows embedded text to the model)", () => {
  const text = "x".repeat(7 * 1024);
  const r = runResult(
    outcome({ files: ["a.txt", "b.txt", "c.txt"].map((n) => file(n, text, "text/plain")) }),
    "compact",
    undefined,
    { store: new ResultFileStore() },
  );
  expect(r.content.slice(1).map((c) => c.type)).toEqual(["resource", "resource", "resource_link"]);
});
