/** `bridge worker`: runs queued jobs on the host; `--init` creates the token, `--install-service` the login service. */
import { defineCommand } from "citty";
import { homedir } from "node:os";
import { join } from "node:path";
import { SETTINGS, loadConfig } from "../config/index.ts";
import { log, setLogLevel } from "../log.ts";
import { ensurePrivateDir } from "../queue/fsutil.ts";
import { ensureLayout } from "../queue/layout.ts";
import { initToken } from "../queue/token.ts";
import { workerOptions, repeatedFlag } from "../worker/options.ts";
import { renderService, selfCommand, writeService } from "../worker/service.ts";
import { QueueWorker } from "../worker/worker.ts";
import { clientSetupText } from "./client-config.ts";
import { runAction } from "./run-action.ts";

const SERVICE_FLAGS = new Set(["--install-service", "--print"]);

export default defineCommand({
  meta: { name: "worker", description: "Run queued escalate_to_claude and run_script jobs on this machine" },
  args: {
    init: {
      type: "boolean",
      description: "Create the queue token and directories, print how to configure serve, and exit",
    },
    concurrency: { type: "string", description: "Jobs run at the same time (default 2)" },
    "allow-root": { type: "string", description: "Directory claude jobs may run in (repeatable; default: home)" },
    scripts: { type: "string", description: "Script whitelist directory (default <root>/scripts)" },
    "permission-mode": {
      type: "string",
      description: "Most permissive Claude permission mode a job may use (default: default)",
    },
    timeout: { type: "string", description: "Wall-clock limit per job (default 30m)" },
    grace: { type: "string", description: "On SIGTERM, time in-flight jobs get to finish (default 30s)" },
    once: { type: "boolean", description: "Run what is queued, then exit" },
    "trust-project-settings": {
      type: "boolean",
      description:
        "Let claude jobs load the project's .claude/settings*.json (hooks, env, apiKeyHelper), .mcp.json servers, skills and commands (default: your user settings only)",
    },
    "trust-project-settings-in": { type: "string", description: "Same, only for jobs in this directory (repeatable)" },
    "install-service": {
      type: "boolean",
      description: "Write a systemd user unit / launchd agent that starts the worker at login",
    },
    print: { type: "boolean", description: "With --install-service: print the file instead of writing it" },
  },
  async run({ args, rawArgs }) {
    await runAction(async () => {
      const config = loadConfig();
      setLogLevel(config.logLevel);
      const options = workerOptions(
        args,
        repeatedFlag(rawArgs, "--allow-root"),
        config,
        repeatedFlag(rawArgs, "--trust-project-settings-in"),
      );
      if (args.init) {
        const token = initToken(config);
        ensureLayout(config);
        ensurePrivateDir(options.scriptsDir);
        // serve finds the queue under its root and signs with the token file: both go in the entry's env.
        const env: Record<string, string> = config.root === SETTINGS.root.default ? {} : { BRIDGE_ROOT: config.root };
        env.BRIDGE_TOKEN_FILE = token.path;
        const self = selfCommand().join(" ");
        process.stdout.write(
          [
            `Token: ${token.path} (${token.created ? "created" : "already existed, unchanged"})`,
            `Scripts: put executables (and optional manifests) in ${options.scriptsDir}`,
            "",
            "Add bridge to your MCP client; `serve` reads the token from the file named in its env:",
            clientSetupText(env),
            "",
            `Start the worker: ${self} worker   (or at login: ${self} worker --install-service)`,
            "",
          ].join("\n"),
        );
        return;
      }
      if (args["install-service"]) {
        const rendered = renderService({
          platform: process.platform,
          home: homedir(),
          argv: [...selfCommand(), "worker", ...rawArgs.filter((a) => !SERVICE_FLAGS.has(a))],
          env: { BRIDGE_ROOT: config.root, PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin" },
          logFile: join(config.root, "worker.log"),
        });
        if (args.print) {
          process.stdout.write(rendered.content);
          return;
        }
        writeService(rendered);
        process.stdout.write(`Wrote ${rendered.path}\nEnable and start it with:\n  ${rendered.enable}\n`);
        return;
      }
      const worker = new QueueWorker({ config, log, options });
      for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(sig, () => void worker.stop(sig));
      await worker.start();
      await worker.stopped;
      // Anything still holding the event loop (a watcher the runtime keeps) must not keep a stopped worker alive.
      process.exit(worker.exitCode);
    });
  },
});
