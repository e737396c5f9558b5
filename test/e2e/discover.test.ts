/**
 * `bridge discover` end to end: the compiled binary reads a fixture HOME with servers in ten
 * client formats and one broken file; `--tools` connects to real MCP servers from npm
 * (server-memory and server-everything over stdio, server-everything over streamable HTTP and SSE).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { bridgeEnv, requireBinary, tempDir } from "../support/bridge.ts";
import { copyDiscoveryFixture } from "../support/discovery-fixture.ts";

const bin = requireBinary();
const BIN_DIR = resolve(import.meta.dir, "../../node_modules/.bin");

function discover(args: string[], opts: { home: string; cwd: string; env?: Record<string, string> }) {
  const env = { ...bridgeEnv(opts.home, opts.env), HOME: opts.home, MCP_BRIDGE_LOG_LEVEL: "warn" };
  const r = Bun.spawnSync([bin, "discover", ...args], {
    cwd: opts.cwd,
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("bridge discover on a fixture HOME", () => {
  const fx = copyDiscoveryFixture();
  afterAll(fx.cleanup);
  const env = { MCP_BRIDGE_DENY_SERVERS: "github*", FIXTURE_TOKEN: "fixture-secret" };

  test("--json lists servers from at least 8 client formats, with statuses, and the broken file skipped", () => {
    const r = discover(["--json"], { home: fx.home, cwd: fx.project, env });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { servers: Array<Record<string, any>>; problems: Array<Record<string, any>> };
    const formats = new Set(doc.servers.map((s) => s.format));
    expect(formats.size).toBeGreaterThanOrEqual(8);
    for (const f of [
      "claude-code",
      "claude-desktop",
      "codex",
      "cursor",
      "gemini",
      "opencode",
      "vscode",
      "windsurf",
      "zed",
      "mcp-json",
    ])
      expect(formats).toContain(f);
    const status = Object.fromEntries(doc.servers.map((s) => [s.name, s.status]));
    expect(status).toMatchObject({
      "claude-local": "ok",
      "codex-stdio": "ok",
      "zed-legacy": "ok",
      // Project-level files from the working directory wait for approval.
      "project-mcp": "pending-approval",
      "vscode-workspace": "pending-approval",
      "github-cursor": "denied",
      "opencode-off": "disabled",
      "self-bridge": "self",
      "cursor-missing": "command-not-found",
    });
    expect(doc.servers.find((s) => s.name === "shared")!.source).toBe(join(fx.home, "MCPs", "team.json"));
    expect(doc.problems).toEqual([
      { file: join(fx.home, "MCPs", "zz-broken.json"), line: 4, column: 5, reason: "not valid JSON: comma expected" },
    ]);
    expect(doc.servers.map((s) => s.name)).not.toContain("never-loaded");
    // Secrets from env and headers are masked in machine output by default.
    expect(r.stdout).not.toContain("fixture-secret");
  });

  test("the table shows name, source, format, transport, command or URL and status; problems go to stderr", () => {
    const r = discover([], { home: fx.home, cwd: fx.project, env });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+SOURCE\s+FORMAT\s+SCOPE\s+TRANSPORT\s+COMMAND OR URL\s+STATUS$/);
    const row = (name: string) => lines.find((l) => l.startsWith(`${name} `)) ?? "";
    expect(row("codex-http")).toMatch(
      /~\/\.codex\/config\.toml\s+codex\s+user\s+http\s+http:\/\/127\.0\.0\.1:9\/mcp\s+ok/,
    );
    expect(row("project-mcp")).toMatch(
      /\.\/\.mcp\.json\s+claude-code\s+project\s+stdio\s+sh project\s+pending approval: /,
    );
    expect(r.stderr).toContain("project-mcp: to approve: run `claude` in");
    expect(row("github-cursor")).toContain("denied");
    expect(row("cursor-missing")).toContain("command not found");
    expect(r.stderr).toContain("~/MCPs/zz-broken.json:4:5: not valid JSON");
    expect(r.stdout).not.toContain("zz-broken");
  });

  test("an unset ${VAR} is a note on stderr, and the server is still listed", () => {
    const r = discover([], { home: fx.home, cwd: fx.project });
    expect(r.stderr).toContain("mcps-generic: environment variable FIXTURE_TOKEN is not set");
    expect(r.stdout).toMatch(/^mcps-generic\s.*\sok$/m);
  });

  test("--verbose lists every file looked at", () => {
    const r = discover(["--verbose"], { home: fx.home, cwd: fx.project });
    expect(r.stderr).toContain("found   ~/.codex/config.toml");
    expect(r.stderr).toContain("absent  ~/.opencode.json");
  });

  test("an unknown flag is a usage error", () => {
    const r = discover(["--jsn"], { home: fx.home, cwd: fx.project });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option "--jsn"');
  });
});

describe("bridge discover --tools with real MCP servers", () => {
  const dir = tempDir("bridge-discover-tools-");
  const home = join(dir.path, "home");
  const spawned: Bun.Subprocess[] = [];

  /** Starts server-everything in `mode` on a loopback port that was free a moment ago; returns the port. */
  async function startEverything(mode: "streamableHttp" | "sse", ready: RegExp): Promise<number> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
      const port = probe.port;
      probe.stop(true);
      const proc = Bun.spawn([join(BIN_DIR, "mcp-server-everything"), mode], {
        env: { ...process.env, PORT: String(port) },
        stdin: "ignore",
        stdout: "ignore",
        stderr: "pipe",
      });
      spawned.push(proc);
      let text = "";
      void (async () => {
        for await (const chunk of proc.stderr) text += new TextDecoder().decode(chunk);
      })();
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && !ready.test(text) && proc.exitCode === null) await Bun.sleep(100);
      if (ready.test(text)) return port;
      proc.kill();
    }
    throw new Error(`could not start mcp-server-everything ${mode} on loopback`);
  }

  beforeAll(async () => {
    mkdirSync(join(home, ".cursor"), { recursive: true });
    const [httpPort, ssePort] = await Promise.all([
      startEverything("streamableHttp", /listening on port/i),
      startEverything("sse", /running on port/i),
    ]);
    writeFileSync(
      join(home, ".cursor", "mcp.json"),
      JSON.stringify({
        mcpServers: {
          memory: {
            command: join(BIN_DIR, "mcp-server-memory"),
            env: { MEMORY_FILE_PATH: join(dir.path, "memory.jsonl") },
          },
          everything: { command: join(BIN_DIR, "mcp-server-everything"), args: ["stdio"] },
          "everything-http": { type: "http", url: `http://127.0.0.1:${httpPort}/mcp` },
          "everything-sse": { type: "sse", url: `http://127.0.0.1:${ssePort}/sse` },
          crashes: { command: "sh", args: ["-c", "echo boom >&2; exit 3"] },
        },
      }),
    );
  }, 100_000);

  afterAll(() => {
    for (const proc of spawned) proc.kill();
    dir.cleanup();
  });

  test("--tools --json: tool counts and o200k token costs per server, and bridge's saving", () => {
    const r = discover(["--tools", "--json", "--timeout", "60s"], { home, cwd: dir.path });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      tools: { servers: Array<Record<string, any>>; totalTokens: number; bridgeTokens: number; savedTokens: number };
    };
    const byName = Object.fromEntries(doc.tools.servers.map((s) => [s.name, s]));
    for (const name of ["memory", "everything", "everything-http", "everything-sse"]) {
      expect(byName[name]!.error).toBeUndefined();
      expect(byName[name]!.tools).toBeGreaterThan(0);
      expect(byName[name]!.tokens).toBeGreaterThan(100);
    }
    expect(byName.everything!.tools).toBe(byName["everything-http"]!.tools);
    expect(byName.everything!.tools).toBe(byName["everything-sse"]!.tools);
    expect(byName.crashes!.error).toContain("boom");
    expect(doc.tools.totalTokens).toBe(
      byName.memory!.tokens +
        byName.everything!.tokens +
        byName["everything-http"]!.tokens +
        byName["everything-sse"]!.tokens,
    );
    expect(doc.tools.bridgeTokens).toBeGreaterThanOrEqual(0);
    expect(doc.tools.savedTokens).toBe(doc.tools.totalTokens - doc.tools.bridgeTokens);
  }, 150_000);

  test("--tools table: TOOLS and TOKENS columns and the summary lines", () => {
    const r = discover(["--tools", "--timeout", "60s"], { home, cwd: dir.path });
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/TOOLS\s+TOKENS/);
    expect(lines.find((l) => l.startsWith("memory "))).toMatch(/\s\d+\s+\d+\s/);
    expect(r.stdout).toMatch(/\d+ tools from 4 of 5 usable servers: \d+ tokens \(o200k\)/);
    expect(r.stdout).toMatch(
      /bridge's own tools\/list: \d+ tokens \(run_python \d+, escalate_to_claude \d+, run_script \d+, get_job \d+, cancel_job \d+\), measured from its server with its tool groups \(MCP_BRIDGE_TOOLS\)\. Tokens saved through bridge: (\d+\.|none yet \(bridge adds \d+;)/,
    );
    expect(r.stdout).toContain("crashes: could not list tools");
  }, 150_000);

  test("--tools shows bridge's own cost for the configured tool groups (sandbox only: run_python alone)", () => {
    const r = discover(["--tools", "--json", "--timeout", "60s"], {
      home,
      cwd: dir.path,
      env: { MCP_BRIDGE_TOOLS: "sandbox" },
    });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      tools: { bridgeTokens: number; bridgeByTool: Array<{ name: string; tokens: number }> };
    };
    expect(doc.tools.bridgeByTool.map((t) => t.name)).toEqual(["run_python"]);
    expect(doc.tools.bridgeTokens).toBeGreaterThan(50);
    expect(doc.tools.bridgeTokens).toBeLessThanOrEqual(200);
  }, 150_000);
});
