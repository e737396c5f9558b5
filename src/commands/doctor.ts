/** `bridge doctor`: checks the engine, image, sandbox, queue, worker and Claude CLI, with fixes. */
import { defineCommand } from "citty";
import { configFilePath, loadConfig, validateConfig } from "../config/index.ts";
import { setLogLevel } from "../log.ts";
import { runAction } from "./run-action.ts";

export default defineCommand({
  meta: {
    name: "doctor",
    description: "Check the container engine, image, queue, worker and Claude CLI; say how to fix problems",
  },
  args: {
    json: { type: "boolean", description: "print results as JSON" },
    "print-image": { type: "boolean", description: "print the configured sandbox image and exit" },
    "print-engine": { type: "boolean", description: "print the container engine bridge would use and exit" },
  },
  async run({ args }) {
    await runAction(async () => {
      // The --print-* answers feed scripts: an invalid setting fails them. The report never stops on one.
      if (args["print-image"] || args["print-engine"]) {
        const config = loadConfig();
        if (args["print-image"]) {
          process.stdout.write(`${config.image}\n`);
          return;
        }
        const { detectEngine, defaultEngineDeps } = await import("../sandbox/engine.ts");
        process.stdout.write(`${(await detectEngine(config, defaultEngineDeps())).name}\n`);
        return;
      }
      const { config, problems } = validateConfig();
      setLogLevel(config.logLevel === "info" ? "warn" : config.logLevel);
      const { runDoctor, renderReport, reportExitCode, withSelfCommand } = await import("../doctor/index.ts");
      const { selfCommand } = await import("../worker/service.ts");
      const results = withSelfCommand(await runDoctor(config, problems, configFilePath(process.env)), selfCommand());
      process.stdout.write(args.json ? `${JSON.stringify(results, null, 2)}\n` : `${renderReport(results)}\n`);
      return reportExitCode(results);
    });
  },
});
