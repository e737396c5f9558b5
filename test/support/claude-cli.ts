/**
 * Test helpers for running the real Claude Code CLI (the devDependency) against the fake Messages
 * API: where the binary is, and the environment that isolates it (temp HOME, no updater, no traffic).
 */
import { resolve } from "node:path";
import type { FakeAnthropic } from "./fake-anthropic.ts";

/** The real CLI from node_modules. */
export const CLAUDE_BIN = resolve(import.meta.dir, "../../node_modules/.bin/claude");

/** Environment for the CLI (or a worker that runs it): points it at `fake`, HOME at `home`. */
export function claudeEnv(
  fake: FakeAnthropic | undefined,
  home: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      v === undefined ||
      k.startsWith("ANTHROPIC_") ||
      k.startsWith("CLAUDE") ||
      k.startsWith("BRIDGE_") ||
      k.startsWith("MCP_BRIDGE_")
    )
      continue;
    env[k] = v;
  }
  return {
    ...env,
    HOME: home,
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    ...(fake ? { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: "test" } : {}),
    ...extra,
  };
}
