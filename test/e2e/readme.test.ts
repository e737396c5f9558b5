/**
 * The README's commands and examples, as a reader would run them: the Python example (helpers with
 * `await`) runs unchanged through `dist/bridge run` against a real MCP server from npm, and every
 * shell line that runs bridge names it by path, never a bare `bridge` (iproute2's on Linux).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { BRIDGE_BIN, bridgeEnv, requireBinary, tempDir } from "../support/bridge.ts";
import { ENGINES } from "../support/sandbox-engines.ts";
import { writeServersConfig } from "../support/upstream-servers.ts";

const readme = readFileSync(resolve(import.meta.dir, "../../README.md"), "utf8");
const blocks = (lang: string) =>
  [...readme.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);
const engine = ENGINES.find((e) => e.usable)?.engine;
const root = tempDir();
afterAll(root.cleanup);

describe("README", () => {
  test("shell lines run bridge by path (./dist/bridge, ~/.local/bin/bridge), never a bare `bridge`", () => {
    const lines = blocks("sh")
      .flatMap((b) => b.split("\n"))
      .map((l) => l.replace(/#.*/, "").trim())
      .filter(Boolean);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line, line).not.toMatch(/(^|[;&|]\s*)bridge\s/);
    expect(lines).toContain("./scripts/setup.sh");
    expect(lines).toContain("./scripts/test.sh");
  });

  test.skipIf(!engine)(
    `the Python example runs as written (${engine ?? "SKIPPED: no usable engine"})`,
    async () => {
      requireBinary();
      const example = blocks("python").find((b) => b.includes("await search_tool_docs"));
      expect(example).toBeDefined();
      const config = writeServersConfig(root.path, { filesRoot: root.path, only: ["knowledge-graph"] });
      const proc = Bun.spawn([BRIDGE_BIN, "run", "-"], {
        env: bridgeEnv(root.path, { MCP_SERVERS_CONFIG: config, MCP_BRIDGE_ENGINE: engine! }),
        stdin: new TextEncoder().encode(example!),
        stdout: "pipe",
        stderr: "pipe",
      });
      const [out, err, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      expect(code, `${out}\n${err}`).toBe(0);
      expect(out).toContain("create_entities");
      expect(out).toContain("'server': 'knowledge-graph'");
    },
    120_000,
  );
});
