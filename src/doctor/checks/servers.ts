/** Doctor check: which MCP servers bridge found in client configs, what keeps others from running, and broken config files. */
import { homedir } from "node:os";
import { discoverServers } from "../../upstream/discovery/index.ts";
import type { ServerEntry } from "../../upstream/types.ts";
import type { Check, CheckResult } from "../types.ts";

const list = (servers: ServerEntry[]) =>
  `${servers
    .slice(0, 6)
    .map((s) => s.name)
    .join(", ")}${servers.length > 6 ? ", …" : ""}`;

export const serversCheck: Check = async ({ config, env }) => {
  const result = await discoverServers({
    config,
    home: env.HOME || env.USERPROFILE || homedir(),
    cwd: process.cwd(),
    platform: process.platform,
    env,
    execPath: process.execPath,
  });
  const by = (...statuses: ServerEntry["status"][]) => result.servers.filter((s) => statuses.includes(s.status));
  const ok = by("ok");
  const out: CheckResult[] = [
    {
      name: "MCP servers",
      status: "ok",
      detail: ok.length
        ? `${ok.length} usable from client configs (${list(ok)})`
        : "none found in client configs (run_python works without them)",
    },
  ];
  const pending = by("pending-approval");
  if (pending.length)
    out.push({
      name: "MCP servers",
      status: "warn",
      detail: `${pending.length} project-level server(s) pending approval, never started until approved (${list(pending)})`,
      fix: "`bridge discover` shows how to approve each",
    });
  const broken = by("command-not-found", "cwd-not-found");
  if (broken.length)
    out.push({
      name: "MCP servers",
      status: "warn",
      detail: `command or working directory not found for ${list(broken)}`,
      fix: "install them or fix their entry; `bridge discover` shows details",
    });
  for (const p of result.problems)
    out.push({
      name: "config file",
      status: "warn",
      detail: `${p.file}${p.line ? `:${p.line}` : ""}: ${p.reason} (skipped)`,
      fix: "fix the file; the other files still load",
    });
  return out;
};
