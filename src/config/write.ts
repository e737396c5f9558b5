/**
 * Changing one value in bridge's JSON config file (`bridge image build --use`), keeping every other
 * key. A file that is not a JSON object is never overwritten: the error says what to fix.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { BridgeError } from "../errors.ts";
import type { SETTINGS } from "./schema.ts";

/** Sets `key` (a config-file key of the settings table) to `value` in the file at `path`, creating it (0600, directory 0700). */
export function setConfigFileValue(path: string, key: keyof typeof SETTINGS, value: unknown): void {
  let current: Record<string, unknown> = {};
  let text: string | undefined;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT")
      throw new BridgeError("CONFIG_INVALID", `${path}: cannot be read: ${(err as Error).message}`);
  }
  if (text?.trim()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new BridgeError(
        "CONFIG_INVALID",
        `${path} is not valid JSON (${(err as Error).message}); it was left as it is`,
        { hint: `Fix it, or set "${key}": ${JSON.stringify(value)} in it yourself.` },
      );
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new BridgeError("CONFIG_INVALID", `${path} is not a JSON object; it was left as it is`);
    current = parsed as Record<string, unknown>;
  }
  current[key] = value;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(current, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}
