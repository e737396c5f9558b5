/** Doctor check: which MCP servers bridge found in client configs, and any broken config files. */
import { homedir } from "node:os";
import { discoverServers } from "../../upstream/discovery/index.ts";
import type { Check, CheckResult } from "../types.ts";

export const serversCheck: Check = async ({ config, env }) => {
  const result = await discoverServers({
    config, home: env.HOME || env.USERPROFILE || homedir(), cwd: process.cwd(), platform: process.platform, env, execPath: process.execPath,
  });
  const ok = result.servers.filter((s) => s.status === "ok");
  const missing = result.servers.filter((s) => s.status === "command-not-found");
  const out: CheckResult[] = [{
    name: "MCP servers", status: "ok",
    detail: ok.length ? `${ok.length} usable from client configs (${ok.slice(0, 6).map((s) => s.name).join(", ")}${ok.length > 6 ? ", …" : ""})` : "none found in client configs (run_python works without them)",
  }];
  if (missing.length) out.push({ name: "MCP servers", status: "warn", detail: `command not found for ${missing.map((s) => s.name).join(", ")}`, fix: "install them or fix their command; `bridge discover` shows details" });
  for (const p of result.problems) out.push({ name: "config file", status: "warn", detail: `${p.file}${p.line ? `:${p.line}` : ""}: ${p.reason} (skipped)`, fix: "fix the file; the other files still load" });
  return out;
};
