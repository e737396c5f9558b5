/**
 * What upstream servers see of bridge as their client (real servers, no container): roots from the
 * outer client (or the working directory), sampling and elicitation declared only when the outer
 * client has them and forwarded through the call that uses the server, progress relayed.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ClientCapabilities, Root } from "@modelcontextprotocol/sdk/types.js";
import type { CallOrigin } from "../../../src/sandbox/extension.ts";
import type { OuterClient } from "../../../src/upstream/origin.ts";
import { UpstreamRegistry } from "../../../src/upstream/registry.ts";
import type { ServerEntry } from "../../../src/upstream/types.ts";
import { bin, stdioEntry } from "../../support/upstream-servers.ts";

const entry = stdioEntry;

let state: string;
let data: string;
const registries: UpstreamRegistry[] = [];
beforeEach(() => {
  state = mkdtempSync(join(tmpdir(), "bridge-caps-"));
  data = mkdtempSync(join(tmpdir(), "bridge-caps-root-"));
});
afterEach(async () => {
  await Promise.all(registries.splice(0).map((r) => r.closeAll()));
  rmSync(state, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
});

function fakeOuter(caps: ClientCapabilities | undefined, roots: Root[] = []): OuterClient & { changed: () => void } {
  const listeners: Array<() => void> = [];
  return {
    capabilities: () => caps,
    listRoots: async () => roots,
    onRootsChanged: (fn) => void listeners.push(fn),
    changed: () => {
      for (const fn of listeners) fn();
    },
  };
}

function makeRegistry(servers: ServerEntry[], outer?: OuterClient) {
  const r = new UpstreamRegistry({
    discover: async () => servers,
    stateDir: state,
    timeoutMs: 20_000,
    log: { debug() {}, warn() {} },
    outer,
  });
  registries.push(r);
  return r;
}

const text = (res: { content: unknown }) => JSON.stringify(res.content);

/** The first call after start: server-filesystem applies roots asynchronously, and bridge lets them settle. */
async function allowedDirectories(r: UpstreamRegistry): Promise<string> {
  return text(await r.call("files", "list_allowed_directories", {}));
}

describe("roots", () => {
  test("server-filesystem without directory arguments gets the outer client's roots", async () => {
    const r = makeRegistry(
      [entry("files", bin("mcp-server-filesystem"))],
      fakeOuter({ roots: {} }, [{ uri: pathToFileURL(data).href, name: "project" }]),
    );
    expect(await allowedDirectories(r)).toContain(data);
  });

  test("an outer client without roots: bridge declares none, so a server's own directory arguments stay", async () => {
    const r = makeRegistry(
      [entry("files", bin("mcp-server-filesystem"), [data])],
      fakeOuter({ sampling: {} }, [{ uri: "file:///elsewhere", name: "x" }]),
    );
    const shown = await allowedDirectories(r);
    expect(shown).toContain(data);
    expect(shown).not.toContain("elsewhere");
  });
});

describe("sampling and elicitation", () => {
  test("hidden when the outer client lacks them; forwarded through the calling run when it has them", async () => {
    const everything = entry("everything", bin("mcp-server-everything"), ["stdio"]);
    const plain = makeRegistry([everything], fakeOuter({ roots: {} }));
    await plain.call("everything", "echo", { message: "start" });
    await Bun.sleep(300); // conditional tools are registered after initialize (list_changed)
    const plainTools = (await plain.tools("everything", undefined, { live: true })).map((t) => t.name);
    expect(plainTools).not.toContain("trigger-sampling-request");
    expect(plainTools).not.toContain("trigger-elicitation-request");
    expect(plainTools).toContain("get-roots-list");

    const seen: Array<{ method: string; params: Record<string, unknown> }> = [];
    const origin: CallOrigin = {
      request: async (method, params) => {
        seen.push({ method, params });
        return method === "sampling/createMessage"
          ? { model: "test-model", role: "assistant", content: { type: "text", text: "sampled by the outer client" } }
          : { action: "accept", content: { name: "Ada", check: true } };
      },
      progress: () => {},
    };
    const full = makeRegistry([everything], fakeOuter({ roots: {}, sampling: {}, elicitation: {} }));
    await full.call("everything", "echo", { message: "start" });
    await Bun.sleep(300);
    const tools = (await full.tools("everything", undefined, { live: true })).map((t) => t.name);
    expect(tools).toContain("trigger-sampling-request");
    const sampled = await full.call(
      "everything",
      "trigger-sampling-request",
      { prompt: "hello", maxTokens: 10 },
      { origin },
    );
    expect(text(sampled)).toContain("sampled by the outer client");
    const elicited = await full.call("everything", "trigger-elicitation-request", {}, { origin });
    expect(text(elicited)).toContain("Ada");
    expect(seen.map((s) => s.method)).toEqual(["sampling/createMessage", "elicitation/create"]);
    expect(JSON.stringify(seen[0]!.params)).toContain("hello");
  }, 60_000);

  test("a request while no call is using the server is refused with bridge's reason", async () => {
    // A call without an origin (bridge run) cannot forward: the server gets bridge's explanation.
    const r = makeRegistry([entry("everything", bin("mcp-server-everything"), ["stdio"])], fakeOuter({ sampling: {} }));
    await r.call("everything", "echo", { message: "start" });
    await Bun.sleep(300);
    const res = await r.call("everything", "trigger-sampling-request", { prompt: "x" }).catch((e) => e);
    expect(String(res.message ?? text(res))).toContain(
      "bridge cannot forward sampling/createMessage from server everything",
    );
  }, 60_000);
});

describe("progress", () => {
  test("progress notifications reach the caller", async () => {
    const r = makeRegistry([entry("everything", bin("mcp-server-everything"), ["stdio"])]);
    const events: number[] = [];
    await r.call(
      "everything",
      "trigger-long-running-operation",
      { duration: 1, steps: 4 },
      { onProgress: (p) => events.push(p.progress) },
    );
    // The SDK handles notifications a microtask after responses: the last one may race the result.
    expect(events.slice(0, 3)).toEqual([1, 2, 3]);
  }, 30_000);
});
