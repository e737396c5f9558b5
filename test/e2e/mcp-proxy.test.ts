/**
 * MCP servers inside run_python, end to end: compiled dist/bridge, real containers, real npm MCP
 * servers (everything, filesystem, memory) configured through MCP_SERVERS_CONFIG in a temp HOME.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { bridgeEnv, resultText, startBridge, tempDir, type RunningBridge } from "../support/bridge.ts";
import { childProcesses, writeServersConfig } from "../support/upstream-servers.ts";

const root = tempDir("bridge-e2e-proxy-");
const files = tempDir("bridge-e2e-files-");
let bridge: RunningBridge;

async function runPython(code: string, servers?: string[], timeout = 120_000) {
  const result = await bridge.client.callTool(
    { name: "run_python", arguments: { code, ...(servers ? { servers } : {}) } },
    undefined,
    { timeout },
  );
  return { text: resultText(result as { content?: unknown }), isError: Boolean(result.isError) };
}

beforeAll(async () => {
  const config = writeServersConfig(root.path, { filesRoot: files.path });
  bridge = await startBridge({ env: bridgeEnv(root.path, { MCP_SERVERS_CONFIG: config }), cwd: root.path });
}, 60_000);
afterAll(async () => {
  await bridge?.close();
  root.cleanup();
  files.cleanup();
});

describe("MCP servers from run_python", () => {
  test("search_tool_docs finds a tool of a server that is not loaded, and calling it through mcp_<alias> works", async () => {
    const r = await runPython(`
hits = await search_tool_docs("create entities in the knowledge graph", limit=3)
print("TOP", hits[0]["server"], hits[0]["tool"], hits[0]["score"] > 0)
print("LOADED", await list_servers())
kg = await load_server(hits[0]["server"])
await mcp_knowledge_graph.create_entities(entities=[{"name": "bridge", "entityType": "project", "observations": ["e2e"]}])
graph = mcp_knowledge_graph.read_graph_sync()
print("GRAPH", [e["name"] for e in graph["entities"]])
`);
    expect(r.isError).toBe(false);
    expect(r.text).toContain("TOP knowledge-graph create_entities True");
    expect(r.text).toContain("LOADED []");
    expect(r.text).toContain("GRAPH ['bridge']");
  }, 300_000);

  test("a 1 MB tool result arrives intact", async () => {
    const line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!?\n";
    const content = line.repeat(Math.ceil((1024 * 1024) / line.length)).slice(0, 1024 * 1024);
    const path = join(files.path, "big.txt");
    writeFileSync(path, content);
    const sha = createHash("sha256").update(content).digest("hex");
    const r = await runPython(
      `
import hashlib
r = await mcp_files.read_text_file(path=${JSON.stringify(path)})
text = r["content"] if isinstance(r, dict) else r
print("LEN", len(text), "SHA", hashlib.sha256(text.encode()).hexdigest())
`,
      ["files"],
    );
    expect(r.text).toContain(`LEN ${1024 * 1024} SHA ${sha}`);
  }, 300_000);

  test("two different servers sets in consecutive calls both work", async () => {
    const a = await runPython(
      `
print("A", sorted(k for k in globals() if k.startswith("mcp_") and k != "mcp_servers"))
print("A", await mcp_everything.get_sum(a=20, b=22))
`,
      ["everything"],
    );
    expect(a.text).toContain("A ['mcp_everything']");
    expect(a.text).toContain("The sum of 20 and 22 is 42");
    const b = await runPython(
      `
from mcp.servers.files import list_allowed_directories
print("B", sorted(mcp_servers))
print("B", await list_allowed_directories())
print("B", len(mcp_knowledge_graph.read_graph_sync()["entities"]) >= 0)
`,
      ["files", "knowledge-graph"],
    );
    expect(b.isError).toBe(false);
    expect(b.text).toContain("B ['files', 'knowledge-graph']");
    expect(b.text).toContain(files.path.split("/").pop()!);
    expect(b.text).toContain("B True");
  }, 300_000);

  test("images arrive as bytes; the capabilities resource documents the helpers", async () => {
    const r = await runPython(
      `
img = await mcp_everything.get_tiny_image()
blobs = [x for x in (img if isinstance(img, list) else [img]) if isinstance(x, bytes)]
print("PNG", len(blobs), blobs[0][:8] == b"\\x89PNG\\r\\n\\x1a\\n")
`,
      ["everything"],
    );
    expect(r.text).toContain("PNG 1 True");
    const res = await bridge.client.readResource({ uri: "resource://bridge/capabilities" });
    const text = (res.contents[0] as { text: string }).text;
    expect(res.contents[0]!.mimeType).toBe("text/markdown");
    for (const helper of ["search_tool_docs", "query_tool_docs", "load_server", "update_memory", "_sync"])
      expect(text).toContain(helper);
  }, 300_000);

  test("an unknown server name fails with the available names", async () => {
    const r = await runPython("print(1)", ["nope"]);
    expect(r.isError).toBe(true);
    expect(r.text).toContain('unknown MCP server "nope"; available: everything, files, knowledge-graph');
  }, 300_000);

  test("bad arguments name the expected parameters", async () => {
    const r = await runPython(
      `
try:
    await mcp_everything.get_sum(a=1, c=2)
except Exception as e:
    print("ERR", e)
`,
      ["everything"],
    );
    expect(r.text).toContain("missing required parameter b; unknown parameter c");
    expect(r.text).toContain("Expected parameters: a (number, required), b (number, required)");
  }, 300_000);

  test("killing an upstream server mid-call gives an error, and the next call works", async () => {
    await runPython(`print(await mcp_everything.echo(message="warm"))`, ["everything"]);
    const pids = childProcesses(bridge.pid()!, "mcp-server-everything");
    expect(pids.length).toBe(1);
    const slow = runPython(
      `
try:
    await mcp_everything.trigger_long_running_operation(duration=15, steps=3)
    print("NO ERROR")
except Exception as e:
    print("ERR", e)
`,
      ["everything"],
    );
    await Bun.sleep(4000);
    process.kill(pids[0]!, "SIGKILL");
    const r = await slow;
    expect(r.text).toContain("ERR server everything exited (signal SIGKILL)");
    const next = await runPython(`print(await mcp_everything.echo(message="back"))`, ["everything"]);
    expect(next.text).toContain("Echo: back");
    const after = childProcesses(bridge.pid()!, "mcp-server-everything");
    expect(after.length).toBe(1);
    expect(after[0]).not.toBe(pids[0]);
  }, 300_000);

  test("closing bridge ends the upstream server processes", async () => {
    await runPython(`print(await mcp_files.list_allowed_directories(), await mcp_everything.echo(message="x"))`, [
      "files",
      "everything",
    ]);
    const kids = childProcesses(bridge.pid()!, "mcp-server-");
    expect(kids.length).toBeGreaterThanOrEqual(2);
    await bridge.close();
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && kids.some(alive)) await Bun.sleep(100);
    expect(kids.filter(alive)).toEqual([]);
  }, 300_000);
});

describe("server policy from run_python", () => {
  test("a denied server is invisible: not listed, not searchable, not loadable", async () => {
    const home = tempDir("bridge-e2e-policy-");
    const config = writeServersConfig(home.path, { filesRoot: files.path });
    const denied = await startBridge({
      env: bridgeEnv(home.path, { MCP_SERVERS_CONFIG: config, MCP_BRIDGE_DENY_SERVERS: "file*" }),
      cwd: home.path,
    });
    try {
      const result = await denied.client.callTool(
        {
          name: "run_python",
          arguments: {
            code: `
print("SERVERS", await discovered_servers())
print("HITS", sorted({h["server"] for h in await search_tool_docs("read text file directory", limit=20)}))
try:
    await load_server("files")
except Exception as e:
    print("LOAD", e)
`,
          },
        },
        undefined,
        { timeout: 120_000 },
      );
      const text = resultText(result as { content?: unknown });
      expect(text).toContain("SERVERS ['everything', 'knowledge-graph']");
      expect(text).not.toMatch(/HITS .*'files'/);
      expect(text).toContain('LOAD unknown MCP server "files"; available: everything, knowledge-graph');
      const denyCall = await denied.client.callTool(
        { name: "run_python", arguments: { code: "print(1)", servers: ["files"] } },
        undefined,
        { timeout: 120_000 },
      );
      expect(denyCall.isError).toBe(true);
    } finally {
      await denied.close();
      home.cleanup();
    }
  }, 300_000);
});
