/**
 * Doctor checks for run_python: the container engine answers, the image is present, and a real
 * hardened container runs Python (which also proves the OCI runtime and rlimits suit this host).
 */
import { formatDuration } from "../../config/index.ts";
import { describeError, isBridgeError } from "../../errors.ts";
import { log } from "../../log.ts";
import {
  checkImage,
  defaultEngineDeps,
  detectEngine,
  imageFix,
  locateEngine,
  type EngineDeps,
  type EngineInfo,
} from "../../sandbox/engine.ts";
import { guiPath } from "../../sandbox/engine-locate.ts";
import { SandboxService, UNENFORCED_LIMITS } from "../../sandbox/service.ts";
import type { Check, CheckResult } from "../types.ts";
import { DATA_PROBE, dataScienceResult, foldersResult } from "./data.ts";

/**
 * GUI clients (Claude Desktop, IDEs) start bridge with a minimal PATH and without the shell's
 * variables. Looks the engine up by name as such a client would; when that fails, says which `env`
 * line to add to the client's bridge entry.
 */
export async function guiClientCheck(
  engine: Pick<EngineInfo, "name" | "binary">,
  makeDeps: (env: Record<string, string | undefined>) => EngineDeps = defaultEngineDeps,
  platform: string = process.platform,
): Promise<CheckResult> {
  const path = guiPath(platform);
  const env = { HOME: process.env.HOME, USERPROFILE: process.env.USERPROFILE, PATH: path };
  try {
    const seen = await locateEngine({ engine: engine.name }, makeDeps(env));
    return {
      name: "engine for GUI clients",
      status: "ok",
      detail: `with PATH=${path} (as Claude Desktop starts bridge) the engine is found at ${seen.binary}`,
    };
  } catch {
    const line = `"env": { "MCP_BRIDGE_ENGINE": ${JSON.stringify(engine.binary)} }`;
    return {
      name: "engine for GUI clients",
      status: "warn",
      detail: `a client that starts bridge with PATH=${path} (Claude Desktop and other GUI apps) would not find ${engine.name} (${engine.binary})`,
      fix: `add to bridge's entry in that client's config: ${line}`,
    };
  }
}

export const sandboxCheck: Check = async ({ config }) => {
  const results: CheckResult[] = [];
  const engineDeps = defaultEngineDeps();
  let engine: EngineInfo;
  try {
    engine = await detectEngine(config, engineDeps);
  } catch (err) {
    const hint = isBridgeError(err) ? err.hint : undefined;
    return {
      name: "container engine",
      status: "fail",
      detail: isBridgeError(err) ? err.message : describeError(err),
      fix: hint ?? "install podman or docker",
    };
  }
  const mode = [engine.rootless ? "rootless" : "rootful", engine.remote ? "remote" : "local"].join(", ");
  const where =
    engine.located === "PATH"
      ? engine.binary
      : engine.located === "MCP_BRIDGE_ENGINE"
        ? `${engine.binary}, from MCP_BRIDGE_ENGINE`
        : `${engine.binary}, found outside PATH`;
  results.push({
    name: "container engine",
    status: "ok",
    detail: `${engine.name} ${engine.version} (${mode}, ${where})`,
  });
  results.push(await guiClientCheck(engine));
  if (!engine.limitsEnforced) {
    results.push({
      name: "resource limits",
      status: "warn",
      detail: `NOT enforced: ${UNENFORCED_LIMITS.what}. A memory bomb can use the host's memory; processes are capped by an nproc rlimit only.`,
      fix: UNENFORCED_LIMITS.fix,
    });
  }

  if (!(await checkImage(engine, config.image, engineDeps))) {
    results.push({
      name: "sandbox image",
      status: "fail",
      detail: `${config.image} is not in ${engine.name}'s image store`,
      fix: imageFix(engine.name, config.image),
    });
    return results;
  }
  results.push({ name: "sandbox image", status: "ok", detail: config.image });
  const folders = foldersResult(config);
  if (folders) results.push(folders);

  // A real run with the configured hardening, no pool: what the first run_python call will do
  // (without the folders when they are broken: that is reported above).
  const runConfig = {
    ...config,
    poolSize: 0,
    ...(folders?.status === "fail" ? { folders: [], outputFolder: undefined } : {}),
  };
  const service = new SandboxService(runConfig, { engine: engineDeps, log, extensions: [] });
  const started = performance.now();
  try {
    const outcome = await service.run({
      code: `import os, sys\nprint(os.getuid(), sys.version.split()[0])\n${DATA_PROBE}`,
      timeoutMs: 60_000,
    });
    const ms = Math.round(performance.now() - started);
    if (outcome.status !== "ok") {
      results.push({
        name: "sandbox run",
        status: "fail",
        detail: `a test container ended with status ${outcome.status}: ${(outcome.error ?? outcome.output.text).trim().split("\n").pop()}`,
        fix: "run `bridge run -c 'print(1)'` with MCP_BRIDGE_LOG_LEVEL=debug to see the engine's error",
      });
    } else {
      const [first = "", probe = "{}"] = outcome.output.text.trim().split("\n");
      const [uid, py] = first.split(" ");
      results.push({
        name: "sandbox run",
        status: "ok",
        detail: `Python ${py} as uid ${uid}, network ${config.network}, memory ${config.memory}, pids ${config.pids}, timeout ${formatDuration(config.timeout)} (cold start ${ms} ms)`,
      });
      try {
        results.push(dataScienceResult(JSON.parse(probe), config.image));
      } catch {
        results.push({
          name: "data science",
          status: "warn",
          detail: `could not read the package probe: ${probe.slice(0, 200)}`,
        });
      }
      const { engine: used } = await service.ensureEngine();
      if (used.ociRuntime && !config.ociRuntime) {
        results.push({
          name: "OCI runtime",
          status: "warn",
          detail: `the default OCI runtime failed on this host; bridge falls back to ${used.ociRuntime} on every start`,
          fix: `export MCP_BRIDGE_OCI_RUNTIME=${used.ociRuntime}`,
        });
      }
    }
  } catch (err) {
    results.push({
      name: "sandbox run",
      status: "fail",
      detail: isBridgeError(err) ? err.message : describeError(err),
      fix: (isBridgeError(err) && err.hint) || "see the engine's error above",
    });
  } finally {
    await service.shutdown();
  }
  return results;
};
