/**
 * Claude Code's state file (`~/.claude.json`, or `$CLAUDE_CONFIG_DIR/.claude.json`): user servers
 * (`mcpServers`) and this directory's entry under `projects` (local-scope servers, disabled lists,
 * legacy approvals, workspace trust). The file is often 15–100 MB, so only those two members are
 * extracted (scan-json.ts), and the result is reused while the file's signature is unchanged.
 */
import { posix, win32 } from "node:path";
import { MAX_CLAUDE_STATE_BYTES } from "../fs.ts";
import type { ReadContext } from "../context.ts";
import { isObject } from "../normalize.ts";
import { JsonScanError, scanTopLevel } from "../scan-json.ts";

export interface ClaudeState {
  found: boolean;
  userServers?: unknown;
  /** `projects[<cwd>]`: the exact working directory's entry (Claude Code keys it by the directory it runs in). */
  project?: Record<string, unknown>;
  projectKey?: string;
}

const cache = new Map<string, { sig: string; cwd: string; state: ClaudeState }>();

/** Claude Code's project key normalization: forward slashes, no trailing separator (case-insensitive on Windows). */
function sameDir(key: string, cwd: string, windows: boolean): boolean {
  const p = windows ? win32 : posix;
  const norm = (s: string) => {
    const n = p.normalize(windows ? s.replaceAll("/", "\\") : s).replace(/[\\/]+$/, "");
    return windows ? n.toLowerCase() : n;
  };
  return norm(key) === norm(cwd);
}

function lineColumn(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1,
    start = 0;
  for (let i = 0; i < offset && i < bytes.length; i++)
    if (bytes[i] === 0x0a) {
      line++;
      start = i + 1;
    }
  return { line, column: offset - start + 1 };
}

/** Reads the state file; every failure becomes a problem and an empty state. */
export async function readClaudeState(ctx: ReadContext, file: string): Promise<ClaudeState> {
  const sig = await ctx.fs.signature?.(file);
  const hit = cache.get(file);
  if (sig && hit && hit.sig === sig && hit.cwd === ctx.cwd) {
    ctx.searched.push({ file, found: hit.state.found });
    return hit.state;
  }
  let bytes: Uint8Array | undefined;
  try {
    bytes = await ctx.fs.readBytes(file, MAX_CLAUDE_STATE_BYTES);
  } catch (err) {
    ctx.searched.push({ file, found: true });
    ctx.problems.push({ file, reason: `cannot read: ${(err as Error).message}` });
    return { found: true };
  }
  ctx.searched.push({ file, found: bytes !== undefined });
  if (!bytes) return { found: false };
  let state: ClaudeState;
  try {
    let projectKey: string | undefined;
    const r = scanTopLevel(bytes, {
      keys: ["mcpServers"],
      nested: {
        container: "projects",
        want: (k) => (sameDir(k, ctx.cwd, ctx.windows) ? ((projectKey = k), true) : false),
      },
    });
    const project = projectKey !== undefined ? r.nested[projectKey] : undefined;
    state = {
      found: true,
      userServers: r.values.mcpServers,
      project: isObject(project) ? project : undefined,
      projectKey,
    };
  } catch (err) {
    if (!(err instanceof JsonScanError)) throw err;
    ctx.problems.push({
      file,
      ...lineColumn(bytes, err.offset),
      reason: `not valid JSON: ${err.message}; Claude Code's servers from this file are skipped`,
    });
    return { found: true };
  }
  if (sig) cache.set(file, { sig, cwd: ctx.cwd, state });
  return state;
}
