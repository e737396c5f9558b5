/**
 * Proxied servers using more of MCP than plain tool calls, end to end: the compiled dist/bridge with
 * real containers, real npm servers and purpose-built misbehaving ones, and the SDK Client as the
 * outer client — declaring roots, sampling and elicitation and answering them like a user's client.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  type CallToolResult,
} from "@modelcontextprotocol/sdk/types.js";
import { bridgeEnv, requireBinary, resultText, tempDir } from "../support/bridge.ts";
import { SAMPLE_IMAGES } from "../support/images.ts";
import {
  alive,
  descendants,
  HUNG_STDIO,
  hungHttpServer,
  hungShellWrapper,
  TASK_SERVER,
} from "../support/upstream-misbehaving.ts";

const bin = (name: string) => resolve(import.meta.dir, "../../node_modules/.bin", name);
const root = tempDir("bridge-e2e-protocol-");
const project = tempDir("bridge-e2e-protocol-root-");
const marker = `bridge-e2e-wrapper-${process.pid}`;
const hung = hungHttpServer();
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);
// A complete JPEG (Pillow's, ending in EOI): bridge checks images on the host and drops a truncated one.
const JPEG = Buffer.from(SAMPLE_IMAGES.jpeg);

const requests: Array<{ method: string; params: any }> = [];
let client: Client;
let stderr = "";

async function runPython(
  code: string,
  opts: { servers?: string[]; onprogress?: (p: { message?: string }) => void } = {},
) {
  const result = (await client.callTool(
    { name: "run_python", arguments: { code, timeout: 110, ...(opts.servers ? { servers: opts.servers } : {}) } },
    undefined,
    {
      timeout: 150_000,
      ...(opts.onprogress ? { onprogress: opts.onprogress } : {}),
    },
  )) as CallToolResult;
  return { result, text: resultText(result as { content?: unknown }) };
}

/** Starts dist/bridge serve with `servers` and connects an outer client that answers roots, sampling and elicitation. */
async function startOuter(servers: Record<string, unknown>, env: Record<string, string>) {
  const config = join(root.path, `servers-${Date.now()}.json`);
  writeFileSync(config, JSON.stringify({ mcpServers: servers }));
  const t = new StdioClientTransport({
    command: requireBinary(),
    args: ["serve"],
    env: bridgeEnv(root.path, {
      MCP_SERVERS_CONFIG: config,
      MCP_BRIDGE_MAX_TIMEOUT: "120s",
      MCP_BRIDGE_POOL_SIZE: "1",
      ...env,
    }),
    cwd: root.path,
    stderr: "pipe",
  });
  t.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const c = new Client(
    { name: "outer-test-client", version: "1.0.0" },
    { capabilities: { roots: { listChanged: true }, sampling: {}, elicitation: {} } },
  );
  c.setRequestHandler(ListRootsRequestSchema, async () => ({
    roots: [{ uri: pathToFileURL(project.path).href, name: "project" }],
  }));
  c.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    requests.push({ method: req.method, params: req.params });
    return { model: "outer-model", role: "assistant", content: { type: "text", text: "answer from the outer client" } };
  });
  c.setRequestHandler(ElicitRequestSchema, async (req) => {
    requests.push({ method: req.method, params: req.params });
    return { action: "accept", content: { name: "Grace Hopper", check: true } };
  });
  await c.connect(t);
  return { client: c, transport: t };
}

beforeAll(async () => {
  writeFileSync(join(project.path, "pixel.png"), PNG);
  writeFileSync(join(project.path, "pixel.jpg"), JPEG);
  // MCP_BRIDGE_TIMEOUT 9 s gives search a 3 s budget (a third of it); hung servers fail after 6 s.
  ({ client } = await startOuter(
    {
      everything: { command: bin("mcp-server-everything"), args: ["stdio"] },
      files: { command: bin("mcp-server-filesystem") }, // no directories: it needs the client's roots
      tasks: TASK_SERVER,
      "hung-http": { url: hung.url },
      "hung-stdio": HUNG_STDIO,
    },
    { MCP_BRIDGE_UPSTREAM_TIMEOUT: "6s", MCP_BRIDGE_TIMEOUT: "9s" },
  ));
}, 60_000);

afterAll(async () => {
  await client?.close().catch(() => {});
  hung.stop();
  root.cleanup();
  project.cleanup();
});

describe("proxied servers behave as in the user's client", () => {
  test("search answers within its budget with a hung HTTP and a hung stdio server, twice, the second fast", async () => {
    const code = `
import time
t = time.monotonic()
hits = await search_tool_docs("add two numbers", limit=1)
print("HIT", hits[0]["server"], hits[0]["tool"], "SECONDS", round(time.monotonic() - t, 1))
`;
    const first = await runPython(code);
    const second = await runPython(code);
    for (const r of [first, second]) {
      expect(r.text).toContain("HIT everything get-sum");
      expect(r.text).toMatch(
        /not searched: hung-http: still starting after \d+ s; its tools are being listed in the background: search again shortly/,
      );
      expect(r.text).toMatch(/not searched: hung-stdio: /);
    }
    const seconds = (r: { text: string }) => Number(/SECONDS ([\d.]+)/.exec(r.text)![1]);
    expect(seconds(first)).toBeLessThan(3 + 3); // the 3 s budget plus a loaded machine's slack
    expect(seconds(second)).toBeLessThan(2);
  }, 200_000);

  test("server-filesystem without arguments gets the outer client's root", async () => {
    const r = await runPython(`print(await mcp_files.list_allowed_directories())`, { servers: ["files"] });
    expect(r.text).toContain(project.path);
  }, 200_000);

  test("sampling and elicitation requests reach the outer client, as part of the run_python call", async () => {
    const r = await runPython(
      `
print("S", await mcp_everything.trigger_sampling_request(prompt="summarise bridge", maxTokens=20))
print("E", await mcp_everything.trigger_elicitation_request())
`,
      { servers: ["everything"] },
    );
    expect(r.result.isError).toBeFalsy();
    expect(r.text).toContain("answer from the outer client");
    expect(r.text).toContain("Grace Hopper");
    expect(requests.map((q) => q.method)).toEqual(["sampling/createMessage", "elicitation/create"]);
    expect(JSON.stringify(requests[0]!.params)).toContain("summarise bridge");
  }, 200_000);

  test("task-required tools run through the task API; one that never ends fails with bridge's own error", async () => {
    const r = await runPython(
      `
print("R", await mcp_everything.simulate_research_query(topic="MCP tasks"))
try:
    await mcp_tasks.stuck()
except Exception as e:
    print("STUCK", e)
`,
      { servers: ["everything", "tasks"] },
    );
    expect(r.text).toMatch(/R .*MCP tasks/s);
    expect(r.text).toMatch(/STUCK server tasks: task tool stuck made no progress for 6s \(task .+ cancelled\)/);
    expect(r.text).not.toContain("callToolStream");
  }, 200_000);

  test("read_media_file bytes go through show_image as PNG and JPEG", async () => {
    const r = await runPython(
      `
for name in ("pixel.png", "pixel.jpg"):
    b = await mcp_files.read_media_file(path=${JSON.stringify(project.path)} + "/" + name)
    print(name, type(b).__name__, b.mime_type)
    show_image(b)
`,
      { servers: ["files"] },
    );
    expect(r.text).toContain("pixel.png McpBytes image/png");
    expect(r.text).toContain("pixel.jpg McpBytes image/jpeg");
    const images = (r.result.content as Array<{ type: string; data?: string; mimeType?: string }>).filter(
      (c) => c.type === "image",
    );
    expect(images.map((i) => i.mimeType)).toEqual(["image/png", "image/jpeg"]);
    expect(images.map((i) => i.data)).toEqual([PNG.toString("base64"), JPEG.toString("base64")]);
  }, 200_000);

  test("upstream progress reaches the Python callback and the client; resource links can be read", async () => {
    const messages: string[] = [];
    const r = await runPython(
      `
events = []
await call_tool("everything", "trigger-long-running-operation", {"duration": 2, "steps": 4}, on_progress=events.append)
print("PY", [e["progress"] for e in events][:3])
links = await mcp_everything.get_resource_links(count=1)
link = [x for x in links if isinstance(x, dict) and x.get("type") == "resource_link"][0]
res = await read_resource(link)
print("RES", link["uri"], type(res).__name__)
`,
      {
        servers: ["everything"],
        onprogress: (p) => {
          if (p.message) messages.push(p.message);
        },
      },
    );
    expect(r.text).toContain("PY [1, 2, 3]");
    expect(r.text).toMatch(/RES demo:\/\/\S+ (dict|McpBytes)/);
    expect(messages.some((m) => /^\[everything\.trigger-long-running-operation \d\/4\]/.test(m))).toBe(true);
  }, 200_000);
});

describe("no orphans", () => {
  test("no upstream process survives serve's exit, starts in progress and sh -c grandchildren included", async () => {
    const outer = await startOuter(
      {
        everything: { command: bin("mcp-server-everything"), args: ["stdio"] },
        "hung-stdio": HUNG_STDIO,
        wrapper: hungShellWrapper(marker),
      },
      { MCP_BRIDGE_UPSTREAM_TIMEOUT: "60s", MCP_BRIDGE_TIMEOUT: "9s" },
    );
    // The search answers after its budget; hung-stdio and the wrapper are still starting in the background.
    const r = (await outer.client.callTool(
      {
        name: "run_python",
        arguments: {
          code: `await search_tool_docs("echo")\nprint(await mcp_everything.echo(message="up"))`,
          servers: ["everything"],
        },
      },
      undefined,
      { timeout: 150_000 },
    )) as CallToolResult;
    expect(resultText(r as { content?: unknown })).toContain("Echo: up");
    const bridgePid = outer.transport.pid!;
    const upstream = descendants(bridgePid).filter((pid) =>
      /mcp-server-everything|sleep|bridge-e2e-wrapper/.test(cmdline(pid)),
    );
    expect(upstream.map(cmdline).join("\n")).toMatch(
      /sleep 600[\s\S]*sleep 60[12][\s\S]*sleep 60[12]|sleep 60[12][\s\S]*sleep 600/,
    );
    expect(upstream.length).toBeGreaterThanOrEqual(5); // everything (+ its node), sleep 600, the wrapper shell and its two sleeps
    await outer.client.close();
    const end = Date.now() + 5000;
    while (Date.now() < end && (alive(bridgePid) || upstream.some(alive))) await Bun.sleep(100);
    expect(alive(bridgePid)).toBe(false);
    expect(upstream.filter(alive).map(cmdline)).toEqual([]);
  }, 200_000);
});

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
  } catch {
    return "";
  }
}
