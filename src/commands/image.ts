/**
 * `bridge image build [--preset minimal|datascience] [--add PKG …] [--tag T] [--offline] [--use]`:
 * builds a local sandbox image with the engine bridge uses (src/sandbox/image/). Progress goes to
 * stderr; stdout gets the image tag alone, for scripts.
 */
import { defineCommand } from "citty";
import { configFilePath, loadConfig } from "../config/index.ts";
import { setConfigFileValue } from "../config/write.ts";
import { BridgeError } from "../errors.ts";
import { log, setLogLevel } from "../log.ts";
import { runAction } from "./run-action.ts";

/** `--add a --add b,c` → ["a", "b,c"] whatever shape citty hands over. */
function addValues(raw: unknown): string[] {
  if (raw === undefined || raw === false) return [];
  return (Array.isArray(raw) ? raw : [raw]).map(String);
}

export default defineCommand({
  meta: {
    name: "image",
    description: "Build a sandbox image: bridge image build [--preset minimal|datascience] [--add PKG]… [--use]",
  },
  args: {
    action: { type: "positional", required: true, description: "build" },
    preset: {
      type: "string",
      description: "datascience (default: numpy, pandas, matplotlib, scipy, scikit-learn) or minimal (Python only)",
    },
    add: {
      type: "string",
      description: "extra package (pip name; offline: Debian python3-NAME); repeat or comma-separate",
    },
    tag: {
      type: "string",
      description:
        "image tag (default localhost/bridge-datascience:latest, or localhost/bridge-python:latest for minimal)",
    },
    offline: {
      type: "boolean",
      description: "build from Debian packages without trying an image registry (needs root and debootstrap)",
    },
    rebuild: { type: "boolean", description: "build even if the tag was already built by this recipe" },
    use: { type: "boolean", description: "set the image in bridge's config file (MCP_BRIDGE_IMAGE overrides it)" },
  },
  async run({ args, rawArgs }) {
    await runAction(async () => {
      if (args.action !== "build")
        throw new BridgeError("USAGE", `unknown image action "${args.action}"`, {
          hint: "Use `bridge image build` (see `bridge image --help`).",
        });
      const preset = (args.preset as string | undefined) ?? "datascience";
      const { PRESETS, parseAdd } = await import("../sandbox/image/recipe.ts");
      if (!(PRESETS as readonly string[]).includes(preset))
        throw new BridgeError("USAGE", `--preset ${JSON.stringify(preset)}: expected ${PRESETS.join(" or ")}`);
      // citty keeps only the last value of a repeated flag: collect every --add from the raw argv.
      const repeated = rawArgs.flatMap((a, i) =>
        a === "--add" ? [rawArgs[i + 1] ?? ""] : a.startsWith("--add=") ? [a.slice(6)] : [],
      );
      const add = parseAdd(repeated.length ? repeated : addValues(args.add));
      const config = loadConfig();
      setLogLevel(config.logLevel);
      const { buildImage } = await import("../sandbox/image/build.ts");
      const { realImageBuildDeps } = await import("../sandbox/image/deps.ts");
      const result = await buildImage(
        config,
        {
          preset: preset as "minimal" | "datascience",
          add,
          tag: args.tag as string | undefined,
          offline: Boolean(args.offline),
          rebuild: Boolean(args.rebuild),
        },
        realImageBuildDeps((m) => log.info(m)),
      );
      const how = result.source === "registry" ? "from the registry" : "offline from Debian packages";
      log.success(
        result.upToDate
          ? `${result.tag} is up to date in ${result.engine.name} (built ${how} by this recipe; --rebuild to redo it)`
          : `built ${result.tag} in ${result.engine.name}, ${how}`,
      );
      if (args.use) {
        const file = configFilePath(process.env);
        setConfigFileValue(file, "image", result.tag);
        log.info(`${file}: "image" is now ${result.tag}`);
        if (process.env.MCP_BRIDGE_IMAGE && process.env.MCP_BRIDGE_IMAGE !== result.tag)
          log.warn(
            `MCP_BRIDGE_IMAGE=${process.env.MCP_BRIDGE_IMAGE} is set and overrides the config file: unset it, or set it to ${result.tag}`,
          );
      } else if (config.image !== result.tag) {
        log.info(
          `to use it: --use (writes it into ${configFilePath(process.env)}), or MCP_BRIDGE_IMAGE=${result.tag} in your MCP client's env for bridge`,
        );
      }
      process.stdout.write(`${result.tag}\n`);
    });
  },
});
