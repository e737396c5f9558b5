/**
 * Claude Code's MCP policy lists, as its CLI (2.1.330) applies them: `deniedMcpServers` and
 * `allowedMcpServers` entries name a server (`serverName`), an exact command line
 * (`serverCommand`) or a URL pattern with `*` (`serverUrl`). Deny wins; an allow list that exists
 * admits only what it matches (by command for stdio servers when it has command entries, by URL for
 * remote servers when it has URL entries, else by name); servers from managed scope skip the allow
 * list. bridge applies every list it finds (they only ever narrow).
 */
import type { NormalizedServer } from "../normalize.ts";
import { isObject } from "../normalize.ts";

export interface PolicyEntry {
  serverName?: string;
  serverCommand?: string[];
  serverUrl?: string;
}

/** The policy lists found in Claude Code's settings files. */
export interface ClaudePolicy {
  /** Every allow list found (each must admit the server). */
  allowLists: Array<{ file: string; entries: PolicyEntry[] }>;
  deny: Array<{ file: string; entry: PolicyEntry }>;
}

/** Parses a settings value into policy entries, ignoring malformed ones. */
export function policyEntries(v: unknown): PolicyEntry[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.filter(isObject).map((e) => ({
    serverName: typeof e.serverName === "string" ? e.serverName : undefined,
    serverCommand:
      Array.isArray(e.serverCommand) && e.serverCommand.every((x) => typeof x === "string")
        ? (e.serverCommand as string[])
        : undefined,
    serverUrl: typeof e.serverUrl === "string" ? e.serverUrl : undefined,
  }));
}

/** `*` matches any run of characters; everything else is literal. */
export function urlPatternMatches(pattern: string, url: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return re.test(url);
}

function commandOf(s: NormalizedServer): string[] | undefined {
  return s.transport === "stdio" && s.command ? [s.command, ...(s.args ?? [])] : undefined;
}

function matches(entry: PolicyEntry, name: string, s: NormalizedServer): boolean {
  if (entry.serverName !== undefined && entry.serverName === name) return true;
  const cmd = commandOf(s);
  if (
    entry.serverCommand &&
    cmd &&
    entry.serverCommand.length === cmd.length &&
    entry.serverCommand.every((x, i) => x === cmd[i])
  )
    return true;
  if (entry.serverUrl && s.url && urlPatternMatches(entry.serverUrl, s.url)) return true;
  return false;
}

function admittedBy(list: PolicyEntry[], name: string, s: NormalizedServer): boolean {
  const cmd = commandOf(s);
  if (cmd && list.some((e) => e.serverCommand))
    return list.some((e) => e.serverCommand && matches({ serverCommand: e.serverCommand }, name, s));
  if (s.url && list.some((e) => e.serverUrl))
    return list.some((e) => e.serverUrl && matches({ serverUrl: e.serverUrl }, name, s));
  return list.some((e) => e.serverName === name);
}

/** Why Claude Code's policy leaves this server out, or undefined when it is admitted. */
export function policyExclusion(
  policy: ClaudePolicy,
  name: string,
  s: NormalizedServer,
  managed: boolean,
): string | undefined {
  const denied = policy.deny.find((d) => matches(d.entry, name, s));
  if (denied) return `denied by deniedMcpServers in ${denied.file}`;
  if (managed) return undefined;
  const refused = policy.allowLists.find((l) => !admittedBy(l.entries, name, s));
  if (refused) return `not in allowedMcpServers of ${refused.file}`;
  return undefined;
}
