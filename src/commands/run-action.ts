/** Maps errors thrown by a command to one clear stderr message and an exit code. */
import { BridgeError, EXIT, describeError } from "../errors.ts";
import { log } from "../log.ts";

/** Runs a command body; on failure prints what failed and why, then exits with the mapped code. */
export async function runAction(body: () => Promise<void | number>): Promise<void> {
  try {
    const code = await body();
    if (typeof code === "number" && code !== 0) process.exit(code);
  } catch (err) {
    if (err instanceof BridgeError) {
      log.error(describeError(err));
      process.exit(err.exitCode);
    }
    log.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(EXIT.failed);
  }
}
