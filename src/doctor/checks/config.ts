/**
 * Doctor results for the configuration: one failed check per invalid setting or unusable config
 * file (from `validateConfig`), naming what was rejected and what the other checks used instead.
 */
import type { ConfigProblem } from "../../config/index.ts";
import type { CheckResult } from "../types.ts";

/** Failed results for each problem, or one ok result when there is none. */
export function configResults(problems: ConfigProblem[], file: string): CheckResult[] {
  if (!problems.length)
    return [{ name: "settings", status: "ok", detail: `no invalid values (environment; ${file} if present)` }];
  return problems.map((p) => ({
    name: "settings",
    status: "fail",
    detail: p.fallback === undefined ? p.message : `${p.message} (the checks below used ${JSON.stringify(p.fallback)})`,
    fix:
      p.value === undefined
        ? `fix ${p.setting} (see docs/configuration.md)`
        : `fix or unset ${p.setting} (see docs/configuration.md)`,
  }));
}
