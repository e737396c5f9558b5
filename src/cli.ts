/**
 * The `bridge` entry point: a citty root whose subcommands load lazily, so `serve` never pays for
 * `doctor`'s code. Unknown commands and flags get one line on stderr and exit 2; no command at all
 * prints the usage on stderr and exits 2.
 */
import { defineCommand, renderUsage, runCommand, showUsage, type CommandDef } from "citty";
import { findArgProblem } from "./commands/argv.ts";
import { EXIT } from "./errors.ts";
import { VERSION } from "./version.ts";

const lazy = (load: () => Promise<{ default: CommandDef<any> }>) => () => load().then((m) => m.default);

const SUBCOMMANDS = {
  serve: lazy(() => import("./commands/serve.ts")),
  run: lazy(() => import("./commands/run.ts")),
  worker: lazy(() => import("./commands/worker.ts")),
  discover: lazy(() => import("./commands/discover.ts")),
  doctor: lazy(() => import("./commands/doctor.ts")),
  image: lazy(() => import("./commands/image.ts")),
};

/** The root command (no `run`: citty would run it after every subcommand). */
export const main = defineCommand({
  meta: { name: "bridge", version: VERSION, description: "Safe local execution for any MCP client" },
  subCommands: SUBCOMMANDS,
});

function usageError(message: string): never {
  process.stderr.write(`bridge: ${message} (see \`bridge --help\`)\n`);
  process.exit(EXIT.usage);
}

/** Parses argv, dispatches to the subcommand, and maps usage errors to exit code 2. */
export async function cli(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === "--version" || first === "-v") {
    if (rest.length) usageError(`unexpected argument "${rest[0]}"`);
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  if (first === undefined) {
    // No command is a usage error: the usage goes to stderr and the exit code says so.
    process.stderr.write(`${await renderUsage(main)}\n`);
    process.exit(EXIT.usage);
  }
  if (first === "--help" || first === "-h" || first === "help") {
    await showUsage(main);
    return;
  }
  if (first.startsWith("-")) usageError(`unknown option "${first}"`);
  const load = SUBCOMMANDS[first as keyof typeof SUBCOMMANDS];
  if (!load) usageError(`unknown command "${first}"; commands: ${Object.keys(SUBCOMMANDS).join(", ")}`);
  const sub = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    await showUsage(sub, main);
    return;
  }
  const argsDef = typeof sub.args === "function" ? await sub.args() : ((await sub.args) ?? {});
  const problem = findArgProblem(rest, argsDef);
  if (problem) usageError(`${first}: ${problem}`);
  await runCommand(sub, { rawArgs: rest });
}
