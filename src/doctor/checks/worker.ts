/** Doctor check: is a `bridge worker` alive for escalate_to_claude and run_script? */
import { queueLayout, readSecret, workerStatus } from "../../queue/index.ts";
import type { Check } from "../types.ts";

export const workerCheck: Check = async ({ config, now }) => {
  // With the token, only signed heartbeats count (as in serve); without it, what is on disk.
  let secret: string | undefined;
  try { secret = readSecret(config); } catch { secret = undefined; }
  const status = workerStatus(queueLayout(config.root), now(), secret);
  if (status.alive) {
    const w = status.workers[0]!;
    return { name: "worker", status: "ok", detail: `${status.workers.length} alive (pid ${w.pid} on ${w.hostname}, ${w.version})${secret ? "" : " — heartbeat not verified: no queue token here"}` };
  }
  const seen = status.lastBeat ? `last heartbeat ${status.lastBeat}` : "never started";
  return {
    name: "worker", status: "warn", detail: `no live worker (${seen}): escalate_to_claude and run_script are refused until one runs`,
    fix: "run `bridge worker` on the host (or `bridge worker --install-service` to start it at login)",
  };
};
