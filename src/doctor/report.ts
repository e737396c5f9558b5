/** Runs doctor checks and renders their results for people (or as JSON). */
import type { Check, CheckResult, DoctorDeps } from "./types.ts";

/** Runs every check in order; a check that throws becomes a failed result instead of a crash. */
export async function runChecks(
  checks: Array<{ label: string; check: Check }>,
  deps: DoctorDeps,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const { label, check } of checks) {
    try {
      const r = await check(deps);
      results.push(...(Array.isArray(r) ? r : [r]));
    } catch (err) {
      results.push({
        name: label,
        status: "fail",
        detail: `the check itself crashed: ${(err as Error).message}`,
        fix: "please report this with the output of `bridge doctor --json`",
      });
    }
  }
  return results;
}

const MARK = { ok: "✓", warn: "!", fail: "✗", skip: "-" } as const;

/** One line per result, fixes indented under problems, and a closing summary. */
export function renderReport(results: CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length), 10);
  const lines = results.map((r) => {
    const line = `${MARK[r.status]} ${r.name.padEnd(width)}  ${r.detail}`;
    return r.fix && (r.status === "warn" || r.status === "fail") ? `${line}\n  ${" ".repeat(width)}  → ${r.fix}` : line;
  });
  const fails = results.filter((r) => r.status === "fail").length;
  const warns = results.filter((r) => r.status === "warn").length;
  lines.push(
    "",
    fails
      ? `${fails} problem(s) to fix, ${warns} warning(s).`
      : warns
        ? `Ready, with ${warns} warning(s).`
        : "All good.",
  );
  return lines.join("\n");
}

/**
 * Names the running binary in each `bridge …` command of a detail or fix, so the next step runs
 * this bridge: a bare `bridge` on Linux is often iproute2's /usr/sbin/bridge, and a clone's
 * dist/bridge is on no PATH. `self` is the command that started doctor (`selfCommand()`).
 */
export function withSelfCommand(results: CheckResult[], self: string[]): CheckResult[] {
  const quoted = self.map((s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`)).join(" ");
  const fill = (text: string) => text.replace(/`bridge(?=[ `])/g, () => `\`${quoted}`);
  return results.map((r) => ({ ...r, detail: fill(r.detail), ...(r.fix === undefined ? {} : { fix: fill(r.fix) }) }));
}

/** Exit code for a report: 1 when any check failed. */
export function reportExitCode(results: CheckResult[]): number {
  return results.some((r) => r.status === "fail") ? 1 : 0;
}
