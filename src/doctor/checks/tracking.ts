/**
 * Doctor check: how `bridge worker` would track a job's processes on this host (the same probe
 * the worker runs at start), and what a timeout or cancel cannot reach in that mode.
 */
import { isBridgeError } from "../../errors.ts";
import { chooseTracking, describeTracking, type Tracking, type TrackingSetting } from "../../process/tracking.ts";
import type { CheckResult, DoctorDeps } from "../types.ts";

const ESCAPES: Record<Tracking["mode"], string | undefined> = {
  cgroup: undefined,
  systemd: undefined,
  proc: "a background process that leaves the job's session and clears its environment (env -i, some daemons) survives a timeout or cancel",
  group: "a background process that leaves the job's process group (setsid, daemons) survives a timeout or cancel",
};

/** `choose` is injectable for tests; by default the real probe. */
export function trackingCheck(choose: (s: TrackingSetting) => Tracking = chooseTracking) {
  return async ({ config }: DoctorDeps): Promise<CheckResult> => {
    let t: Tracking;
    try {
      t = choose(config.processTracking);
    } catch (err) {
      if (!isBridgeError(err)) throw err;
      return { name: "process tracking", status: "fail", detail: err.message, fix: err.hint };
    }
    const escapes = ESCAPES[t.mode];
    if (!escapes) return { name: "process tracking", status: "ok", detail: describeTracking(t) };
    return {
      name: "process tracking",
      status: "warn",
      detail: `${describeTracking(t)}: ${escapes}`,
      fix:
        process.platform === "linux"
          ? "run the worker as a systemd user service (`bridge worker --install-service`, which delegates its cgroup) or where a systemd user manager runs"
          : "on this OS only the process group is tracked; keep scripts from daemonising",
    };
  };
}
