/**
 * Claude Code permission modes ranked from least to most permissive, and the rule that a job may
 * ask for a mode at or below the worker's ceiling, never above it.
 *
 * Ranking (documented in docs/claude.md):
 *   plan < dontAsk < default < acceptEdits < auto < bypassPermissions
 * - plan: read-only planning, no edits or commands.
 * - dontAsk: never prompts, denies every tool not pre-allowed. In `-p` mode `default` also ends up
 *   denying what needs approval, but dontAsk is never looser than default, so it ranks just below.
 * - acceptEdits: file edits inside the working directories are approved automatically.
 * - auto: a classifier may approve shell commands as well, which is broader than acceptEdits.
 * - bypassPermissions: everything is approved (and the CLI refuses it when running as root).
 */
import { BridgeError } from "../../errors.ts";
import type { PermissionMode } from "../../queue/types.ts";

/** Every mode, least permissive first. */
export const PERMISSION_ORDER: readonly PermissionMode[] = [
  "plan",
  "dontAsk",
  "default",
  "acceptEdits",
  "auto",
  "bypassPermissions",
];

/** True when `mode` is one of the known modes. */
export function isPermissionMode(mode: unknown): mode is PermissionMode {
  return typeof mode === "string" && (PERMISSION_ORDER as readonly string[]).includes(mode);
}

/** The rank of a mode (0 = least permissive). */
export function permissionRank(mode: PermissionMode): number {
  return PERMISSION_ORDER.indexOf(mode);
}

/**
 * The mode a job runs with: what it asked for, or the ceiling when it asked for nothing. Throws
 * CLAUDE_FAILED (with the way out) when the job asks for more than the ceiling, or for
 * bypassPermissions while the worker runs as root (the CLI refuses that itself).
 */
export function effectivePermissionMode(requested: unknown, ceiling: PermissionMode, isRoot: boolean): PermissionMode {
  if (!isPermissionMode(ceiling)) {
    throw new BridgeError("CONFIG_INVALID", `Unknown worker permission ceiling "${String(ceiling)}".`, {
      hint: `Use one of: ${PERMISSION_ORDER.join(", ")}.`,
    });
  }
  if (requested !== undefined && !isPermissionMode(requested)) {
    throw new BridgeError("CLAUDE_FAILED", `Unknown permission_mode "${String(requested).slice(0, 40)}".`, {
      hint: `Use one of: ${PERMISSION_ORDER.join(", ")}.`,
    });
  }
  const mode = requested ?? ceiling;
  if (permissionRank(mode) > permissionRank(ceiling)) {
    throw new BridgeError(
      "CLAUDE_FAILED",
      `The job asked for permission_mode "${mode}", above this worker's ceiling "${ceiling}".`,
      {
        hint: `Ask for "${ceiling}" or less, or have the user restart the worker with a higher --permission-mode.`,
      },
    );
  }
  if (mode === "bypassPermissions" && isRoot) {
    throw new BridgeError(
      "CLAUDE_FAILED",
      "permission_mode bypassPermissions is refused by Claude Code when it runs as root.",
      {
        hint: "Use acceptEdits or pre-allowed tools instead, or run the worker as a normal user.",
      },
    );
  }
  return mode;
}
