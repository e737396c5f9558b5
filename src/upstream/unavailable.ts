/**
 * What sandboxed code is told when it asks for a server discovery found but bridge may not start
 * (src/upstream/types.ts `ServerStatus`): the status in words, discovery's reason, and the next
 * step, which is the user's (approving or enabling a server is never up to the model). Servers
 * bridge's own policy denies (MCP_BRIDGE_DENY_SERVERS / _ALLOW_SERVERS) never get here: the
 * registry keeps them unknown to sandboxed code, names included.
 * The text passes through the entry's redactor (secrets.ts), like every other upstream message.
 */
import { BridgeError } from "../errors.ts";
import { redactor } from "./secrets.ts";
import type { ServerEntry, ServerStatus } from "./types.ts";

const STATUS: Record<Exclude<ServerStatus, "ok" | "denied">, { what: string; next: (e: ServerEntry) => string }> = {
  "pending-approval": {
    what: "is pending approval",
    next: (e) => `Only the user can approve it${e.approve ? `: ${e.approve}` : ""}; bridge starts it once approved.`,
  },
  disabled: {
    what: "is disabled",
    next: (e) =>
      `The user can enable it in the client that defines it (${e.format}, ${e.source}) if they want it used.`,
  },
  excluded: {
    what: "is excluded by its client's own policy",
    next: (e) => `Only the user (or their administrator) can change that, in ${e.source}.`,
  },
  "not-usable": {
    what: "cannot be used through bridge",
    next: () => "Use it from the user's own client instead.",
  },
  self: {
    what: "is bridge itself",
    next: () => "bridge does not proxy itself; call its tools directly.",
  },
  "cwd-not-found": {
    what: "cannot start: its working directory does not exist",
    next: (e) => `The user can fix the entry in ${e.source}.`,
  },
  "command-not-found": {
    what: "cannot start: its command was not found",
    next: (e) => `The user can install the command or fix the entry in ${e.source}.`,
  },
};

/** The SERVER_UNKNOWN error for a discovered server whose status is not `ok`. */
export function unavailableError(entry: ServerEntry): BridgeError {
  const redact = redactor(entry);
  const s = entry.status === "ok" || entry.status === "denied" ? undefined : STATUS[entry.status];
  const what = s?.what ?? `has status ${entry.status}`;
  const message = `MCP server ${JSON.stringify(entry.name)} is not available: it ${what}${entry.reason ? ` (${entry.reason})` : ""}`;
  return new BridgeError("SERVER_UNKNOWN", redact(message), {
    hint: redact(
      `${s?.next(entry) ?? "`bridge discover` says why."} discovered_servers() lists the servers that are available.`,
    ),
  });
}
