/**
 * MCP server discovery: reads every known MCP client's configuration the way that client does
 * (clients/), resolves each name to one definition, and classifies it. Trust rules:
 * - the files in MCP_SERVERS_CONFIG come first, then each client in a fixed order, each client's
 *   definitions in its own precedence order;
 * - a definition its client would not run (disabled, rejected, pending approval, excluded by the
 *   client's policy) is never started; a project-level one that is not approved never replaces or
 *   hides another definition of the same name (it is reported as a conflict);
 * - bridge's policy (MCP_BRIDGE_ALLOW_SERVERS / _DENY_SERVERS) then applies to the winner.
 * Pure of process globals: home, cwd, platform, env and fs come in as options. Never throws
 * because of a bad config file: it becomes a problem.
 */
import type { Config } from "../../config/index.ts";
import type { DiscoveryResult, OtherDefinition, ServerEntry } from "../types.ts";
import { classify, policyReason } from "./classify.ts";
import { claudeCodeReader } from "./clients/claude-code.ts";
import { codexReader } from "./clients/codex.ts";
import { explicitReader, genericProjectReader, genericUserReader } from "./clients/generic.ts";
import { geminiReader } from "./clients/gemini.ts";
import { opencodeReader } from "./clients/opencode.ts";
import { continueReader, gooseReader, zedReader } from "./clients/others.ts";
import { SIMPLE_READERS } from "./clients/simple.ts";
import { VSCODE_READERS } from "./clients/vscode.ts";
import { ReadContext, type Candidate, type ClientReader, type ReaderInputs } from "./context.ts";
import { nodeDiscoveryFs, type DiscoveryFs } from "./fs.ts";

/** Inputs of `discoverServers`. */
export interface DiscoverOptions {
  config: Pick<Config, "serversConfig" | "allowServers" | "denyServers" | "allowSelfServer"> & {
    trustedProjects?: readonly string[];
  };
  /** The user's home directory (HOME / USERPROFILE). */
  home: string;
  /** The working directory project-level configs are read from. */
  cwd: string;
  platform: NodeJS.Platform;
  /** Environment for variable expansion, PATH lookup and client locations. */
  env: Record<string, string | undefined>;
  /** Path of the running bridge binary (process.execPath), to recognise entries that start bridge itself. */
  execPath?: string;
  /** Defaults to the real disk (fs.ts). */
  fs?: DiscoveryFs;
  /** Overrides of system-wide locations, for tests. */
  systemDirs?: ReaderInputs["systemDirs"];
}

/** Every client, in the order their definitions of one name compete (after MCP_SERVERS_CONFIG). */
const byId = (id: string) => SIMPLE_READERS.find((r) => r.id === id)!;
export const CLIENT_ORDER: ClientReader[] = [
  genericUserReader,
  claudeCodeReader,
  byId("claude-desktop"),
  byId("cursor"),
  ...VSCODE_READERS,
  byId("windsurf"),
  codexReader,
  geminiReader,
  opencodeReader,
  zedReader,
  byId("cline"),
  byId("cline-cli"),
  byId("roo"),
  byId("kiro"),
  byId("amazon-q"),
  byId("copilot-cli"),
  byId("junie"),
  byId("warp"),
  byId("lm-studio"),
  continueReader,
  gooseReader,
  genericProjectReader,
];

/** The state a candidate's own client gives it (its file's `disabled`, a transport bridge cannot use). */
function clientState(c: Candidate): Candidate["state"] {
  if (c.state) return c.state;
  if (c.server.notUsable) return { status: "not-usable", reason: c.server.notUsable };
  if (c.server.disabled) return { status: "disabled", reason: "turned off in its config file" };
  return undefined;
}

/** Not approved: must neither replace nor hide another definition of the name. */
const soft = (c: Candidate) => c.state?.status === "pending-approval" || c.state?.rejected === true;

const other = (c: Candidate, status: OtherDefinition["status"], reason?: string): OtherDefinition => ({
  source: c.source,
  format: c.format,
  scope: c.scope,
  status,
  ...(reason ? { reason } : {}),
});

/** Discovers every configured MCP server. */
export async function discoverServers(opts: DiscoverOptions): Promise<DiscoveryResult> {
  const fs = opts.fs ?? nodeDiscoveryFs;
  const ctx = new ReadContext({
    home: opts.home,
    cwd: opts.cwd,
    platform: opts.platform,
    env: opts.env,
    fs,
    trustedProjects: opts.config.trustedProjects ?? [],
    systemDirs: opts.systemDirs,
  });
  const readers = [explicitReader(opts.config.serversConfig), ...CLIENT_ORDER];
  const byName = new Map<string, { winner: Candidate; conflicts: Candidate[]; shadowed: Candidate[] }>();
  for (const reader of readers) {
    for (const c of await reader.read(ctx)) {
      c.state = clientState(c);
      const slot = byName.get(c.name);
      if (!slot) byName.set(c.name, { winner: c, conflicts: [], shadowed: [] });
      else if (soft(slot.winner) && !soft(c)) {
        slot.conflicts.push(slot.winner);
        slot.winner = c;
      } else slot.shadowed.push(c);
    }
  }

  const windows = opts.platform === "win32";
  const servers = await Promise.all(
    [...byName.values()].map(async ({ winner: c, conflicts, shadowed }): Promise<ServerEntry> => {
      const entry: ServerEntry = {
        name: c.name,
        source: c.source,
        format: c.format,
        scope: c.scope,
        transport: c.server.transport,
        command: c.server.command,
        args: c.server.args,
        env: c.server.env,
        cwd: c.server.cwd,
        url: c.server.url,
        headers: c.server.headers,
        status: "ok",
        notes: c.server.notes,
        shadowed: shadowed.length ? [...new Set(shadowed.map((s) => s.source))] : undefined,
        conflicts: conflicts.length ? conflicts.map((x) => other(x, x.state!.status, x.state!.reason)) : undefined,
      };
      const denied = policyReason(entry, opts.config.allowServers, opts.config.denyServers);
      if (denied) return dropUndefined({ ...entry, status: "denied", reason: denied });
      if (c.state)
        return dropUndefined({ ...entry, status: c.state.status, reason: c.state.reason, approve: c.state.approve });
      const verdict = await classify(entry, {
        allowSelf: opts.config.allowSelfServer,
        execPath: opts.execPath,
        cwd: opts.cwd,
        env: opts.env,
        windows,
        isExecutable: (p) => fs.isExecutable(p),
        isDirectory: (p) => fs.isDirectory(p),
      });
      return dropUndefined({ ...entry, ...verdict });
    }),
  );
  return { servers, problems: ctx.problems, searched: ctx.searched };
}

function dropUndefined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

/** The servers callers may use: status "ok" only; nothing else is ever started. */
export function usableServers(result: DiscoveryResult): ServerEntry[] {
  return result.servers.filter((s) => s.status === "ok");
}

export type { DiscoveryFs } from "./fs.ts";
export type { ConfigProblem, DiscoveryResult, ServerEntry, ServerStatus } from "../types.ts";
