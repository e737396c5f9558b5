/**
 * Test harness: spawns the compiled `dist/bridge serve` and connects the SDK Client over stdio.
 * Every test talks to the real binary, as an MCP client would.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** Absolute path of the compiled binary under test. */
export const BRIDGE_BIN = resolve(import.meta.dir, "../../dist/bridge");
/** The local sandbox image tests use (built offline by `dist/bridge image build` in scripts/test.sh: Python and matplotlib). */
export const TEST_IMAGE = process.env.BRIDGE_TEST_IMAGE ?? "localhost/bridge-python:latest";

/** Fails fast with the fix when the binary has not been built. */
export function requireBinary(): string {
  if (!existsSync(BRIDGE_BIN)) throw new Error(`${BRIDGE_BIN} is missing: run \`bun run build\` first`);
  return BRIDGE_BIN;
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix = "bridge-test-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** The environment a test bridge runs with: isolated root and HOME, the local image, quiet logs. */
export function bridgeEnv(root: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  for (const k of Object.keys(env))
    if (k.startsWith("MCP_BRIDGE_") || k === "MCP_SERVERS_CONFIG" || k === "BRIDGE_TOKEN") delete env[k];
  return {
    ...env,
    BRIDGE_ROOT: root,
    HOME: root,
    MCP_BRIDGE_IMAGE: TEST_IMAGE,
    MCP_BRIDGE_LOG_LEVEL: "warn",
    ...extra,
  };
}

export interface RunningBridge {
  client: Client;
  transport: StdioClientTransport;
  /** Everything the server wrote to stderr so far. */
  stderr: () => string;
  pid: () => number | null;
  close: () => Promise<void>;
}

/** Starts `dist/bridge serve` with `env` and connects a Client. */
export async function startBridge(opts: {
  env: Record<string, string>;
  args?: string[];
  cwd?: string;
}): Promise<RunningBridge> {
  const transport = new StdioClientTransport({
    command: requireBinary(),
    args: ["serve", ...(opts.args ?? [])],
    env: opts.env,
    cwd: opts.cwd,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: "bridge-tests", version: "1.0.0" });
  try {
    await client.connect(transport);
  } catch (err) {
    throw new Error(`bridge serve did not start: ${(err as Error).message}\nstderr:\n${stderr}`);
  }
  return {
    client,
    transport,
    stderr: () => stderr,
    pid: () => transport.pid,
    close: () => client.close(),
  };
}

/** Text of all text content blocks of a tool result, joined. */
export function resultText(result: { content?: unknown }): string {
  const content = (result.content ?? []) as Array<{ type: string; text?: string }>;
  return content
    .filter((c) => c.type === "text")
    .map((c) => c.text ?? "")
    .join("\n");
}
