/**
 * Attack: a server the user did not approve is started from sandboxed code. Each configured server
 * is a marker server (test/support/marker-server.ts) that writes `<name>.started` the moment it
 * runs. Through the compiled `serve` with a real container, run_python calls `search_tool_docs`
 * (which indexes every usable server in the background), `discovered_servers()`, `load_server(name)`,
 * the helpers issue 14 added (`list_resources`, `read_resource`, `call_tool` plain and streamed,
 * `describe_server`, `query_tool_docs`) and `servers=[name]` for each of:
 * - rejected (Claude Code `disabledMcpjsonServers`), disabled (Claude Code `disabledMcpServers`,
 *   Cursor `disabled: true`), pending approval (an unapproved `.mcp.json` server), excluded (Gemini
 *   `mcp.excluded`), not allowed (MCP_BRIDGE_ALLOW_SERVERS),
 * - project-shadowing-user: the repository's `.mcp.json` redefines a server the user allowed by
 *   name (issue 8, High 4): the user's definition runs, the repository's never does.
 * None of them may ever start; the user's own servers do. Each refusal names the server's status
 * (discovery's words) instead of calling it unknown, except one bridge's own allow list leaves out
 * (the user chose what bridge exposes: it stays unknown). The same paths with stale cached lists:
 * test/security/upstream-gating-new-paths.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { bridgeEnv, resultText, startBridge, tempDir, type RunningBridge } from "../support/bridge.ts";
import { ENGINES } from "../support/sandbox-engines.ts";

const engine = ENGINES.find((e) => e.usable)?.engine;
const MARKER = resolve(import.meta.dir, "../support/marker-server.ts");
const FORBIDDEN = ["rejected", "claude-disabled", "pending", "gemini-excluded", "cursor-off", "not-allowed"];
/** What the refusal of each says (the status, in words). */
const STATUS: Record<string, string> = {
  rejected: "is disabled (rejected in Claude Code",
  "claude-disabled": "is disabled (turned off for",
  pending: "is pending approval",
  "gemini-excluded": "is excluded by its client's own policy",
  "cursor-off": "is disabled",
};

describe.skipIf(!engine)(
  `servers the user did not approve never start (${engine ?? "SKIPPED: no usable engine"})`,
  () => {
    const dir = tempDir("bridge-never-started-");
    const home = join(dir.path, "home");
    const project = join(dir.path, "project");
    const markers = join(dir.path, "markers");
    let bridge: RunningBridge;
    const marker = (name: string) => ({ command: process.execPath, args: [MARKER, markers, name] });

    beforeAll(async () => {
      for (const d of [markers, join(home, ".gemini"), join(home, ".cursor"), join(project, ".claude")])
        mkdirSync(d, { recursive: true });
      writeFileSync(
        join(home, ".claude.json"),
        JSON.stringify({
          mcpServers: {
            "user-ok": marker("user-ok"),
            shadowed: marker("shadowed-user"),
            "claude-disabled": marker("claude-disabled"),
          },
          projects: { [project]: { hasTrustDialogAccepted: true, disabledMcpServers: ["claude-disabled"] } },
        }),
      );
      writeFileSync(
        join(project, ".mcp.json"),
        JSON.stringify({
          mcpServers: {
            rejected: marker("rejected"),
            pending: marker("pending"),
            shadowed: marker("shadowed-project"),
          },
        }),
      );
      writeFileSync(
        join(project, ".claude", "settings.local.json"),
        JSON.stringify({ disabledMcpjsonServers: ["rejected"] }),
      );
      writeFileSync(
        join(home, ".gemini", "settings.json"),
        JSON.stringify({
          mcp: { excluded: ["gemini-excluded"] },
          mcpServers: { "gemini-excluded": marker("gemini-excluded") },
        }),
      );
      writeFileSync(
        join(home, ".cursor", "mcp.json"),
        JSON.stringify({
          mcpServers: {
            "cursor-off": { ...marker("cursor-off"), disabled: true },
            "not-allowed": marker("not-allowed"),
          },
        }),
      );
      // Every name but "not-allowed" is allowed: an allowed name must still not start a definition the user did not approve.
      const allow = ["user-ok", "shadowed", ...FORBIDDEN.filter((n) => n !== "not-allowed")].join(",");
      bridge = await startBridge({
        env: bridgeEnv(join(dir.path, "root"), {
          HOME: home,
          MCP_BRIDGE_ENGINE: engine!,
          MCP_BRIDGE_POOL_SIZE: "0",
          MCP_BRIDGE_ALLOW_SERVERS: allow,
        }),
        cwd: project,
      });
    }, 60_000);
    afterAll(async () => {
      await bridge?.close();
      dir.cleanup();
    });

    const started = () =>
      readdirSync(markers)
        .map((f) => f.replace(/\.started$/, ""))
        .sort();

    async function runPython(code: string, servers?: string[]) {
      const r = await bridge.client.callTool(
        { name: "run_python", arguments: { code, ...(servers ? { servers } : {}) } },
        undefined,
        { timeout: 180_000 },
      );
      return { text: resultText(r as { content?: unknown }), isError: Boolean(r.isError) };
    }

    test("search_tool_docs, discovered_servers and load_server reach only the approved servers", async () => {
      const r = await runPython(`
hits = await search_tool_docs("marker tool", limit=50)
print("HITS", sorted({h["server"] for h in hits}))
print("DISCOVERED", sorted(await discovered_servers()))
for name in ${JSON.stringify([...FORBIDDEN, "shadowed"])}:
    try:
        meta = await load_server(name)
        print("LOADED", name)
    except Exception as e:
        print("REFUSED", name, "|", str(e).splitlines()[0])
    tries = {
        "list_resources": lambda: list_resources(name),
        "read_resource": lambda: read_resource(name, "file:///etc/passwd"),
        "call_tool": lambda: call_tool(name, "marker_" + name.replace("-", "_"), {}),
        "call_tool_progress": lambda: call_tool(name, "marker_" + name.replace("-", "_"), {}, on_progress=print),
        "describe_server": lambda: describe_server(name),
        "query_tool_docs": lambda: query_tool_docs(name),
    }
    for helper, attempt in tries.items():
        try:
            await attempt()
            print("HELPER-RAN", helper, name)
        except Exception as e:
            print("HELPER-REFUSED", helper, name, "|", str(e).splitlines()[0])
`);
      expect(r.isError, r.text).toBe(false);
      expect(r.text).toContain("HITS ['shadowed', 'user-ok']");
      expect(r.text).toContain("DISCOVERED ['shadowed', 'user-ok']");
      for (const name of FORBIDDEN) {
        // bridge's own policy (MCP_BRIDGE_ALLOW_SERVERS) keeps a server unknown; the others say their status.
        const refusal =
          name === "not-allowed" ? `unknown MCP server "${name}"` : `MCP server "${name}" is not available`;
        expect(r.text).toContain(
          name === "not-allowed" ? `REFUSED ${name} | ${refusal}` : `REFUSED ${name} | ${refusal}: it ${STATUS[name]}`,
        );
        for (const helper of [
          "list_resources",
          "read_resource",
          "call_tool",
          "call_tool_progress",
          "describe_server",
          "query_tool_docs",
        ]) {
          expect(r.text).toContain(`HELPER-REFUSED ${helper} ${name} | ${refusal}`);
        }
      }
      expect(r.text).not.toContain(`HELPER-RAN call_tool `);
      expect(r.text).toContain("LOADED shadowed");
      expect(started()).toEqual(["shadowed-user", "user-ok"]);
    }, 300_000);

    test("servers=[…] with a server that may not run is refused, and starts nothing", async () => {
      for (const name of FORBIDDEN) {
        const r = await runPython("print('ran')", [name]);
        expect(r.isError).toBe(true);
        expect(r.text).toContain(
          name === "not-allowed"
            ? `unknown MCP server "${name}"`
            : `MCP server "${name}" is not available: it ${STATUS[name]}`,
        );
      }
      // The repository's "shadowed" is pending: the user's definition is the one that runs.
      const shadow = await runPython("print(await mcp_shadowed.marker_shadowed_user())", ["shadowed"]);
      expect(shadow.text).toContain("marker shadowed-user");
      expect(started()).toEqual(["shadowed-user", "user-ok"]);
    }, 300_000);
  },
);
