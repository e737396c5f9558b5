/**
 * `bridge run FILE | -c CODE | -`: runs Python in the same sandbox as the run_python tool, from a
 * terminal. Output streams as it is printed; the final value and errors follow. Exit code: 0 on
 * success, the code of SystemExit(n), 1 on error, timeout or kill, 130 when interrupted.
 */
import { defineCommand } from "citty";
import { readFileSync } from "node:fs";
import { loadConfig, parseDuration } from "../config/index.ts";
import { BridgeError, EXIT } from "../errors.ts";
import { readRegularFile } from "../fs/read.ts";
import { log, setLogLevel } from "../log.ts";
import { defaultEngineDeps } from "../sandbox/engine.ts";
import { saveImages } from "../sandbox/images.ts";
import { SandboxService } from "../sandbox/service.ts";
import { createSandboxExtensions } from "../upstream/sandbox-extensions.ts";
import { runAction } from "./run-action.ts";

/** Largest FILE `bridge run` reads (a FIFO or device is refused: it could block forever). */
const MAX_SOURCE_BYTES = 16 * 1024 * 1024;

function readSource(file: string | undefined, code: string | undefined): string {
  if (code !== undefined && file !== undefined) throw new BridgeError("USAGE", "give either FILE or -c CODE, not both");
  if (code !== undefined) return code;
  if (file === undefined)
    throw new BridgeError("USAGE", "nothing to run", {
      hint: "Use `bridge run script.py`, `bridge run -c 'print(1)'` or `bridge run -` (stdin).",
    });
  if (file === "-") return readFileSync(0, "utf8");
  let text: string | undefined;
  try {
    text = readRegularFile(file, {
      maxBytes: MAX_SOURCE_BYTES,
      followSymlinks: true,
      code: "USAGE",
      label: `cannot run ${file}: it`,
    });
  } catch (err) {
    if (err instanceof BridgeError) throw err;
    throw new BridgeError("USAGE", `cannot read ${file}: ${(err as Error).message}`);
  }
  if (text === undefined) throw new BridgeError("USAGE", `cannot read ${file}: no such file`);
  return text;
}

export default defineCommand({
  meta: { name: "run", description: "Run Python in the sandbox: bridge run FILE | -c CODE | - (stdin)" },
  args: {
    file: { type: "positional", required: false, description: "Python file, or - for stdin" },
    code: { type: "string", alias: "c", description: "Python code to run" },
    timeout: { type: "string", description: "time limit (e.g. 30s; default MCP_BRIDGE_TIMEOUT)" },
    images: { type: "string", description: "directory to save images into (image-<n>.png, .jpg, .gif or .webp)" },
    servers: { type: "string", description: "MCP servers to load, comma-separated (see `bridge discover`)" },
  },
  async run({ args }) {
    await runAction(async () => {
      const config = { ...loadConfig(), poolSize: 0 };
      setLogLevel(config.logLevel);
      const code = readSource(args.file as string | undefined, args.code as string | undefined);
      let timeoutMs: number | undefined;
      if (args.timeout !== undefined) {
        timeoutMs = parseDuration(args.timeout as string);
        if (timeoutMs === undefined || timeoutMs <= 0)
          throw new BridgeError("USAGE", `--timeout ${JSON.stringify(args.timeout)} is not a duration`, {
            hint: "Use e.g. 30s, 2m or 500ms.",
          });
      }
      // The same MCP proxies and memory helpers as run_python, so a script behaves the same here.
      const upstream = createSandboxExtensions(config, log);
      const service = new SandboxService(config, { engine: defaultEngineDeps(), log, extensions: upstream.extensions });
      const servers =
        typeof args.servers === "string"
          ? args.servers
              .split(",")
              .map((s) => s.trim())
              .filter(Boolean)
          : undefined;
      const interrupt = new AbortController();
      process.once("SIGINT", () => interrupt.abort());
      try {
        const outcome = await service.run({
          code,
          timeoutMs,
          servers,
          signal: interrupt.signal,
          onOutput: (text) => process.stdout.write(text),
        });
        if (outcome.value !== undefined) process.stdout.write(`${outcome.value}\n`);
        if (outcome.notice) process.stderr.write(`bridge: ${outcome.notice}\n`);
        if (outcome.error) process.stderr.write(outcome.error.endsWith("\n") ? outcome.error : `${outcome.error}\n`);
        if (outcome.output.truncated)
          process.stderr.write(`bridge: output was ${outcome.output.totalBytes} bytes (all of it streamed above)\n`);
        if (outcome.images.length) {
          if (args.images) {
            try {
              saveImages(args.images as string, outcome.images);
            } catch (err) {
              throw new BridgeError("USAGE", `cannot save images to ${args.images}: ${(err as Error).message}`, {
                hint: "Give --images a directory you can write to.",
              });
            }
            process.stderr.write(`bridge: saved ${outcome.images.length} image(s) to ${args.images}\n`);
          } else {
            process.stderr.write(
              `bridge: ${outcome.images.length} image(s) not shown (use --images DIR to save them)\n`,
            );
          }
        }
        for (const f of outcome.files ?? []) {
          process.stderr.write(
            `bridge: /output/${f.name} (${f.data.length} bytes) ${f.savedTo ? `saved to ${f.savedTo}` : "not kept: set MCP_BRIDGE_OUTPUT_FOLDER to a folder for result files"}\n`,
          );
        }
        if (outcome.status === "timeout") process.stderr.write("bridge: timed out\n");
        switch (outcome.status) {
          case "ok":
            return EXIT.ok;
          case "exit":
            return Math.min(Math.max(outcome.exitCode ?? 0, 0), 255);
          case "cancelled":
            return 130;
          default:
            return EXIT.failed;
        }
      } finally {
        await service.shutdown();
        await upstream.close();
      }
    });
  },
});
