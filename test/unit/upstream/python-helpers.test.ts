/**
 * The Python side of the proxies and memory (mcp.runtime, mcp.servers, bridge_memory) against the
 * real host methods and real MCP servers, run by python3 on the host through test/support/upstream-pyhost.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { memoryExtension } from "../../../src/memory/extension.ts";
import { MemoryStore } from "../../../src/memory/store.ts";
import { upstreamExtension } from "../../../src/upstream/extension.ts";
import { UpstreamRegistry } from "../../../src/upstream/registry.ts";
import { hasPython, runPython } from "../../support/upstream-pyhost.ts";
import { bin, stdioEntry } from "../../support/upstream-servers.ts";

const entry = stdioEntry;

let state: string;
let registry: UpstreamRegistry;
let store: MemoryStore;
const exts = () => [upstreamExtension(registry), memoryExtension(store)];

beforeAll(() => {
  state = mkdtempSync(join(tmpdir(), "bridge-pyhelpers-"));
  registry = new UpstreamRegistry({
    discover: async () => [
      entry("everything", bin("mcp-server-everything"), ["stdio"]),
      entry("my-files", bin("mcp-server-filesystem"), [state]),
      entry("My.Files", bin("mcp-server-memory")),
      { ...entry("dynamic", process.execPath, [resolve(import.meta.dir, "../../support/upstream-dynamic-server.ts")]) },
    ],
    stateDir: state,
    timeoutMs: 20_000,
    log: { debug() {}, warn() {} },
  });
  store = new MemoryStore({ dir: join(state, "memory") });
});
afterAll(async () => {
  await registry.closeAll();
  rmSync(state, { recursive: true, force: true });
});

async function run(code: string, servers: string[] = []) {
  const r = await runPython(exts(), code, servers);
  if (!r.ok) throw new Error(`python failed:\n${r.error}\n${r.output}`);
  return r.output;
}

describe.skipIf(!hasPython)("Python helpers on the host", () => {
  test("proxies, aliases, sync/async, module import, results and bytes", async () => {
    const out = await run(
      `
print(sorted(k for k in globals() if k.startswith("mcp_") and k != "mcp_servers"))
print(await mcp_everything.echo(message="hi"))
print(mcp_everything.get_sum_sync(a=2, b=5))
print(mcp_servers["everything"] is mcp_everything)
print(await mcp_everything.call("echo", message="via call"), mcp_everything.call_sync("echo", {"message": "dict"}))
from mcp.servers.everything import get_sum
print(await get_sum({"a": 1, "b": 1}))
img = await mcp_everything.get_tiny_image()
print(type(img).__name__, any(isinstance(x, bytes) and x[:4] == b"\\x89PNG" for x in (img if isinstance(img, list) else [img])))
print((await mcp_everything.get_structured_content(location="New York"))["temperature"] is not None)
print(await list_servers())
`,
      ["everything"],
    );
    expect(out).toContain("['mcp_everything']");
    expect(out).toContain("Echo: hi");
    expect(out).toContain("Echo: via call Echo: dict");
    expect(out).toMatch(/7/);
    expect(out).toContain("True\n");
    expect(out).toContain("list True");
    expect(out).toContain("['everything']");
  });

  test("progress: a callback or an iterator; resources by URI or link; binary content as bytes with its MIME type", async () => {
    const out = await run(
      `
seen = []
r = await call_tool("everything", "trigger-long-running-operation", {"duration": 1, "steps": 4}, on_progress=seen.append)
print("CB", [e["progress"] for e in seen][:3], seen[0]["total"], "completed" in r)
call_tool_sync("everything", "echo", {"message": "x"}, on_progress=lambda e: None)
call = mcp_everything.trigger_long_running_operation.stream(duration=1, steps=3)
steps = [e["progress"] async for e in call]
print("IT", steps[:2], "completed" in call.result)
sync_call = mcp_everything.trigger_long_running_operation.stream(duration=0.5, steps=2)
print("SYNC", [e["progress"] for e in sync_call][:1], "completed" in sync_call.result)
links = await mcp_everything.get_resource_links(count=2)
link = [x for x in links if isinstance(x, dict) and x.get("type") == "resource_link"][0]
print("LINK", link["server"], link["uri"].startswith("demo://"))
content = await read_resource(link)
print("READ", type(content).__name__, (content.get("uri") if isinstance(content, dict) else content.uri) == link["uri"])
res = await list_resources("everything")
print("LIST", len(res) > 0, sorted(res[0]))
img = await mcp_everything.get_tiny_image()
b = [x for x in img if isinstance(x, bytes)][0]
print("BYTES", type(b).__name__, b.mime_type, isinstance(b, bytes), repr(b)[:12])
try:
    await read_resource("everything")
except TypeError as e:
    print("BAD", e)
`,
      ["everything"],
    );
    expect(out).toContain("CB [1, 2, 3] 4 True");
    expect(out).toContain("IT [1, 2] True");
    expect(out).toContain("SYNC [1] True");
    expect(out).toContain("LINK everything True");
    expect(out).toMatch(/READ (dict|McpBytes) True/);
    expect(out).toContain("LIST True ['description', 'mimeType', 'name', 'title', 'uri']");
    expect(out).toContain("BYTES McpBytes image/png True <");
    expect(out).toContain("BAD read_resource(server, uri) or read_resource(link)");
  });

  test("collision aliases and on-demand loading", async () => {
    const out = await run(
      `
meta = await list_loaded_server_metadata()
print([(m["name"], m["variable"]) for m in meta])
fs = await load_server("my-files")
print(fs.alias, "mcp_my_files_2" in globals())
import mcp.servers.my_files_2 as m
print(hasattr(m, "read_text_file"))
print(sorted(await discovered_servers()))
`,
      ["My.Files"],
    );
    expect(out).toContain("[('My.Files', 'mcp_my_files')]");
    expect(out).toContain("my_files_2 True");
    expect(out).toContain("True\n['My.Files', 'dynamic', 'everything', 'my-files']");
  });

  test("argument errors name the expected parameters; unknown tools list the tools", async () => {
    const out = await run(
      `
for f in (lambda: mcp_everything.get_sum_sync(a=1), lambda: mcp_everything.get_sum_sync(a=1, b=2, c=3), lambda: mcp_everything.nope):
    try:
        f()
    except Exception as e:
        print(type(e).__name__, str(e)[:160])
`,
      ["everything"],
    );
    expect(out).toContain("missing required parameter b");
    expect(out).toContain("unknown parameter c");
    expect(out).toContain("Expected parameters: a (number, required), b (number, required)");
    expect(out).toContain("AttributeError server 'everything' has no tool 'nope'; tools:");
  });

  test("search, docs, describe, capability summary", async () => {
    const out = await run(`
hits = await search_tool_docs("knowledge graph entities", limit=3)
print(hits[0]["server"], hits[0]["tool"])
print(search_tool_docs_sync("echo back", 1)[0]["tool"])
d = await query_tool_docs("everything", "get-sum")
print(d["params"])
full = query_tool_docs_sync("everything", "get-sum", detail="full")
print(sorted(full["inputSchema"]["properties"]))
info = await describe_server("everything")
print(info["transport"], "env" in info, "args" in info, len(info["tools"]) > 5)
print((await capability_summary()).splitlines()[0])
print(len(await list_tools("my-files")) > 5)
`);
    expect(out).toContain("My.Files create_entities");
    expect(out).toContain("\necho\n");
    expect(out).toContain("a (number, required), b (number, required)");
    expect(out).toContain("['a', 'b']");
    expect(out).toContain("stdio False False True");
    expect(out).toContain("# Capabilities");
  });

  test("unknown server in servers=[...] lists the available ones", async () => {
    await expect(runPython(exts(), "pass", ["nope"])).rejects.toThrow(
      'unknown MCP server "nope"; available: My.Files, dynamic, everything, my-files',
    );
  });

  test("a tool named like a helper stays callable", async () => {
    const out = await run(
      `
print(await mcp_dynamic.call("list_tools", prefix="A:"))
print(mcp_dynamic.call_sync("list_tools"))
print(sorted(t["name"] for t in mcp_dynamic.list_tools_sync()))
from mcp.servers.dynamic import list_tools as lt
print(await lt(prefix="B:"))
`,
      ["dynamic"],
    );
    expect(out).toContain(
      "A:tool named list_tools\ntool named list_tools\n['add_tool', 'big', 'list_tools', 'whoami']\nB:tool named list_tools",
    );
  });

  test("memory helpers, sync and async, and 50 gathered update_memory", async () => {
    const out = await run(`
import asyncio
await save_memory("greeting", {"text": "hi", "n": [1, 2]})
print(await load_memory("greeting"), load_memory_sync("missing", "dflt"))
print(memory_exists_sync("greeting"), await memory_exists("missing"))
await asyncio.gather(*[update_memory("counter", lambda v: (v or 0) + 1) for _ in range(50)])
print("counter", await load_memory("counter"))
print((await get_memory_info("greeting"))["version"], sorted(await list_memories()))
print(await delete_memory("greeting"), delete_memory_sync("greeting"))
for bad in ("../x", ".hidden", "a/b"):
    try:
        await save_memory(bad, 1)
    except Exception as e:
        print("rejected", bad, "invalid memory key" in str(e))
try:
    await save_memory("nan", float("nan"))
except TypeError as e:
    print("TypeError", "not JSON-serialisable" in str(e))
try:
    await update_memory("counter", lambda v: 1 / 0)
except ZeroDivisionError:
    print("fn raised; lock released:", update_memory_sync("counter", lambda v: v + 1))
`);
    expect(out).toContain("{'text': 'hi', 'n': [1, 2]} dflt");
    expect(out).toContain("True False");
    expect(out).toContain("counter 50");
    expect(out).toContain("1 ['counter', 'greeting']");
    expect(out).toContain("True False");
    expect(out).toContain("rejected ../x True");
    expect(out).toContain("rejected .hidden True");
    expect(out).toContain("TypeError True");
    expect(out).toContain("fn raised; lock released: 51");
  });
});
