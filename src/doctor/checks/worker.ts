/**
 * Doctor check: is a `bridge worker` alive for escalate_to_claude and run_script (and if not, what
 * happened to the last one: died how, stopped cleanly when, or never ran), and does it let claude
 * jobs load project settings (hooks, MCP servers … of the repository they run in)?
 */
import { queueLayout, readSecret } from "../../queue/index.ts";
import { offlineReason, workerLiveness } from "../../queue/liveness.ts";
import type { CheckResult } from "../types.ts";
import type { Check } from "../types.ts";

export const workerCheck: Check = async ({ config, now }) => {
  // With the token, only signed heartbeats and stop records count (as in serve); without it, what is on disk.
  let secret: string | undefined;
  try {
    secret = readSecret(config);
  } catch {
    secret = undefined;
  }
  const status = workerLiveness(queueLayout(config.root), now(), secret);
  if (status.alive) {
    const w = status.workers[0]!;
    const results: CheckResult[] = [
      {
        name: "worker",
        status: "ok",
        detail: `${status.workers.length} alive (pid ${w.pid} on ${w.hostname}, ${w.version})${secret ? "" : " — heartbeat not verified: no queue token here"}`,
      },
    ];
    const trusting = status.workers.filter(
      (b) =>
        b.trustProjectSettings === true || (Array.isArray(b.trustProjectSettings) && b.trustProjectSettings.length > 0),
    );
    if (trusting.length) {
      const where = trusting
        .map(
          (b) =>
            `pid ${b.pid}: ${b.trustProjectSettings === true ? "every directory" : (b.trustProjectSettings as string[]).join(", ")}`,
        )
        .join("; ");
      results.push({
        name: "claude project settings",
        status: "warn",
        detail: `claude jobs load the repository's own settings (${where}): its .claude/settings.json hooks, env and apiKeyHelper, .mcp.json servers, skills and commands run with your rights, beyond the permission ceiling`,
        fix: "restart the worker without --trust-project-settings / --trust-project-settings-in unless you trust every repository there",
      });
    } else {
      results.push({
        name: "claude project settings",
        status: "ok",
        detail:
          "claude jobs load your user settings only (--setting-sources user): project hooks, env, apiKeyHelper, .mcp.json servers, skills and commands are ignored",
      });
    }
    return results;
  }
  return {
    name: "worker",
    status: "warn",
    detail: `${offlineReason(status)} escalate_to_claude and run_script are refused until one runs`,
    fix: "run `bridge worker` on the host (or `bridge worker --install-service` to start it at login)",
  };
};
