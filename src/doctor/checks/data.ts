/**
 * Doctor results for data work: which data-science packages the configured image has (probed in a
 * real sandbox run by checks/sandbox.ts), and the folders the user allowed.
 */
import { describeError, isBridgeError } from "../../errors.ts";
import { selfCommand } from "../../self.ts";
import type { Config } from "../../config/index.ts";
import { resolveFolders } from "../../sandbox/folders.ts";
import { DATASCIENCE } from "../../sandbox/image/recipe.ts";
import type { CheckResult } from "../types.ts";

/** Python for the sandbox run: one JSON line with each package's version (null when missing) and the warm-imported modules. */
export const DATA_PROBE = [
  "import importlib.util as _u, importlib.metadata as _m, json as _j, sys as _s",
  "def _v(mod, dist):",
  "    if _u.find_spec(mod) is None: return None",
  "    try: return _m.version(dist)",
  "    except Exception: return '?'",
  `print(_j.dumps({"packages": {p: _v(m, p) for m, p in ${JSON.stringify(DATASCIENCE.map((p) => [p.module, p.pip]))}}, "warm": sorted(k for k in ["numpy", "pandas", "matplotlib.pyplot"] if k in _s.modules)}))`,
].join("\n");

/** The data-science result from the probe's JSON line. */
export function dataScienceResult(
  probe: { packages: Record<string, string | null>; warm: string[] },
  image: string,
): CheckResult {
  const have = Object.entries(probe.packages).filter(([, v]) => v !== null);
  const missing = Object.entries(probe.packages)
    .filter(([, v]) => v === null)
    .map(([p]) => p);
  const warm = probe.warm.length ? `; warm imports: ${probe.warm.join(", ")}` : "";
  if (!missing.length)
    return { name: "data science", status: "ok", detail: `${have.map(([p, v]) => `${p} ${v}`).join(", ")}${warm}` };
  return {
    name: "data science",
    status: "warn",
    detail: `${image} ${have.length ? `has ${have.map(([p, v]) => `${p} ${v}`).join(", ")}, lacks` : "has none of"} ${missing.join(", ")}${warm}`,
    fix: `for data work: ${selfCommand()} image build --preset datascience --use`,
  };
}

/** The allowed folders, or a failed check saying what is wrong with them. */
export function foldersResult(config: Config): CheckResult | undefined {
  if (!config.folders.length && !config.outputFolder) return undefined;
  try {
    const f = resolveFolders(config);
    const list = (writable: boolean) =>
      f.read
        .filter((x) => x.writable === writable)
        .map((x) => `${x.mount} ${writable ? "↔" : "←"} ${x.host}`)
        .join(", ");
    const [read, write] = [list(false), list(true)];
    return {
      name: "folders",
      status: "ok",
      detail: [read && `read-only: ${read}`, write && `read-write: ${write}`, f.output && `/output → ${f.output}`]
        .filter(Boolean)
        .join("; "),
    };
  } catch (err) {
    return {
      name: "folders",
      status: "fail",
      detail: isBridgeError(err) ? err.message : describeError(err),
      fix: (isBridgeError(err) && err.hint) || "fix MCP_BRIDGE_FOLDERS / MCP_BRIDGE_OUTPUT_FOLDER",
    };
  }
}
