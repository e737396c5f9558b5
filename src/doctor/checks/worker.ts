/** Doctor check: is a `bridge worker` alive for escalate_to_claude and run_script? */
import { queueLayout } from "../../queue/index.ts";
import { offlineReason, workerLiveness } from "../../queue/liveness.ts";
import type { Check } from "../types.ts";

export const workerCheck: Check = async ({ config, now }) => {
  const status = workerLiveness(queueLayout(config.root), now());
  if (status.alive) {
    const w = status.workers[0]!;
    return { name: "worker", status: "ok", detail: `${status.workers.length} alive (pid ${w.pid} on ${w.hostname}, ${w.version})` };
  }
  return {
    name: "worker", status: "warn", detail: `${offlineReason(status)} escalate_to_claude and run_script are refused until one runs`,
    fix: "run `bridge worker` on the host (or `bridge worker --install-service` to start it at login)",
  };
};
