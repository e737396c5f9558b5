/** Tool lists follow notifications/tools/list_changed (memory and disk), and an idle crash restarts quietly. */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UpstreamRegistry } from "../../../src/upstream/registry.ts";
import type { ServerEntry } from "../../../src/upstream/types.ts";

const state = mkdtempSync(join(tmpdir(), "bridge-listchanged-"));
const dynamic: ServerEntry = {
  name: "dynamic",
  source: "/t/.mcp.json",
  format: "t",
  scope: "user",
  transport: "stdio",
  command: process.execPath,
  args: [resolve(import.meta.dir, "../../support/upstream-dynamic-server.ts")],
  status: "ok",
};
const make = () =>
  new UpstreamRegistry({
    discover: async () => [dynamic],
    stateDir: state,
    timeoutMs: 15_000,
    log: { debug() {}, warn() {} },
  });
const registry = make();
afterAll(async () => {
  await registry.closeAll();
  rmSync(state, { recursive: true, force: true });
});

const text = (r: { content: unknown }) => (r.content as Array<{ text: string }>)[0]!.text;

test("a tool added at runtime shows up in the tool list, the search and the disk cache", async () => {
  expect((await registry.tools("dynamic")).map((t) => t.name).sort()).toEqual([
    "add_tool",
    "big",
    "list_tools",
    "whoami",
  ]);
  await registry.call("dynamic", "add_tool", { name: "frobnicate_widgets" });
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && !(await registry.tools("dynamic")).some((t) => t.name === "frobnicate_widgets"))
    await Bun.sleep(50);
  expect((await registry.tools("dynamic")).map((t) => t.name)).toContain("frobnicate_widgets");
  expect((await registry.search("frobnicate widgets", 1)).results[0]).toMatchObject({
    server: "dynamic",
    tool: "frobnicate_widgets",
  });
  expect((await make().tools("dynamic")).map((t) => t.name)).toContain("frobnicate_widgets");
}, 30_000);

test("a server that died while idle is started again by the next call", async () => {
  const pid = Number(text(await registry.call("dynamic", "whoami", {})));
  process.kill(pid, "SIGKILL");
  await Bun.sleep(200);
  const again = Number(text(await registry.call("dynamic", "whoami", {})));
  expect(again).toBeGreaterThan(0);
  expect(again).not.toBe(pid);
}, 30_000);

test("a message over the size limit closes the connection with a clear error; the next call works", async () => {
  const small = new UpstreamRegistry({
    discover: async () => [dynamic],
    stateDir: state,
    timeoutMs: 15_000,
    maxMessageBytes: 1024 * 1024,
    log: { debug() {}, warn() {} },
  });
  try {
    expect(text(await small.call("dynamic", "big", { size: 500_000 })).length).toBe(500_000);
    const err = await small.call("dynamic", "big", { size: 2_000_000 }).catch((e) => e);
    expect(err.message).toBe("server dynamic sent a message larger than 1.0 MiB; bridge closed the connection");
    expect(Number(text(await small.call("dynamic", "whoami", {})))).toBeGreaterThan(0);
  } finally {
    await small.closeAll();
  }
}, 30_000);
