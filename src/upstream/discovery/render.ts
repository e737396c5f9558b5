/**
 * Output of `bridge discover`: the servers table, the problems list, the --tools cost summary,
 * and the --json document. Config files may come from cloned repositories, so every printed
 * value has control characters escaped (no terminal escape injection) and secrets are masked.
 */
import { maskEntry } from "../secrets.ts";
import type { ConfigProblem, DiscoveryResult, ServerEntry } from "../types.ts";
import type { ToolCostReport } from "./tool-costs.ts";

/** Escapes control characters so a value prints on one line and cannot drive the terminal. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) =>
    ch === "\t" ? " " : `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const under = (path: string, dir: string) =>
  Boolean(dir) && (path.startsWith(`${dir}/`) || path.startsWith(`${dir}\\`));

/** `./x` for paths under the working directory, `~/x` for paths under home, else the path. */
export function tildePath(path: string, home: string, cwd?: string): string {
  if (cwd && under(path, cwd)) return `.${path.slice(cwd.length)}`;
  return under(path, home) ? `~${path.slice(home.length)}` : path;
}

const quoteArg = (arg: string) => (arg === "" || /[\s"'\\$`]/.test(arg) ? JSON.stringify(arg) : arg);

/** The command line or URL a server is reached by. */
export function target(server: ServerEntry): string {
  if (server.transport !== "stdio" || (!server.command && server.url)) return server.url ?? "";
  return [server.command ?? "", ...(server.args ?? [])].map(quoteArg).join(" ");
}

const STATUS_TEXT: Record<ServerEntry["status"], string> = {
  ok: "ok",
  disabled: "disabled",
  denied: "denied",
  "pending-approval": "pending approval",
  excluded: "excluded",
  "not-usable": "not usable through bridge",
  self: "self (skipped)",
  "cwd-not-found": "cwd not found",
  "command-not-found": "command not found",
};

function table(header: string[], rows: string[][], rightAligned = new Set<number>()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** The servers table (secrets masked unless `showSecrets`); with a cost report, adds TOOLS and TOKENS columns. */
export function renderTable(
  result: DiscoveryResult,
  opts: { home: string; cwd?: string; costs?: ToolCostReport; showSecrets?: boolean },
): string {
  if (!result.servers.length)
    return "No MCP servers found. Run `bridge discover --verbose` to see every file looked at.";
  const costByName = new Map(opts.costs?.servers.map((c) => [c.name, c]));
  const header = [
    "NAME",
    "SOURCE",
    "FORMAT",
    "SCOPE",
    "TRANSPORT",
    ...(opts.costs ? ["TOOLS", "TOKENS"] : []),
    "COMMAND OR URL",
    "STATUS",
  ];
  const servers = opts.showSecrets ? result.servers : result.servers.map(maskEntry);
  const rows = servers.map((s) => {
    const cost = costByName.get(s.name);
    const costCells = opts.costs
      ? [
          cost?.tools !== undefined ? String(cost.tools) : cost ? "error" : "-",
          cost?.tokens !== undefined ? String(cost.tokens) : "-",
        ]
      : [];
    const status = s.status === "ok" ? "ok" : `${STATUS_TEXT[s.status]}${s.reason ? `: ${s.reason}` : ""}`;
    return [
      s.name,
      tildePath(s.source, opts.home, opts.cwd),
      s.format,
      s.scope,
      s.transport,
      ...costCells,
      shorten(target(s), 60),
      status,
    ].map(printable);
  });
  return table(header, rows, opts.costs ? new Set([5, 6]) : undefined);
}

/** One line per broken file or entry: `file:line:column: reason`. */
export function renderProblems(problems: readonly ConfigProblem[], home: string): string {
  return problems
    .map((p) =>
      printable(
        `${tildePath(p.file, home)}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ""}` : ""}: ${p.reason}`,
      ),
    )
    .join("\n");
}

/** One line per server note (an unset `${VAR}`, a conflicting definition, how to approve), or "" when there are none. */
export function renderNotes(servers: readonly ServerEntry[], home: string, cwd?: string): string {
  return servers
    .flatMap((s) =>
      [
        ...(s.notes ?? []).map((note) => `${s.name}: ${note}`),
        ...(s.approve ? [`${s.name}: to approve: ${s.approve}`] : []),
        ...(s.conflicts ?? []).map(
          (c) =>
            `${s.name}: also defined in ${tildePath(c.source, home, cwd)} (${c.format}, ${c.scope}), ${STATUS_TEXT[c.status as ServerEntry["status"]] ?? c.status}${c.reason ? `: ${c.reason}` : ""}; that definition is not used`,
        ),
      ].map(printable),
    )
    .join("\n");
}

/** The --tools summary: failures, then total cost, bridge's cost and the saving. */
export function renderCostSummary(costs: ToolCostReport): string {
  const lines: string[] = [];
  for (const failed of costs.servers.filter((s) => s.error))
    lines.push(printable(`${failed.name}: could not list tools: ${failed.error}`));
  const answered = costs.servers.filter((s) => s.tools !== undefined);
  const tools = answered.reduce((n, s) => n + (s.tools ?? 0), 0);
  lines.push(
    `${tools} tools from ${answered.length} of ${costs.servers.length} usable servers: ${costs.totalTokens} tokens (o200k) of tool schemas in a client's context.`,
  );
  const perTool = costs.bridgeByTool.map((t) => `${t.name} ${t.tokens}`).join(", ");
  lines.push(
    `bridge's own tools/list: ${costs.bridgeTokens} tokens${perTool ? ` (${perTool})` : ""}, measured from its server with its tool groups (MCP_BRIDGE_TOOLS). ${saving(costs.savedTokens)}`,
  );
  return lines.join("\n");
}

/** The saving line: positive savings as such; otherwise what bridge adds, so a negative number is never the headline. */
function saving(saved: number): string {
  if (saved > 0) return `Tokens saved through bridge: ${saved}.`;
  return `Tokens saved through bridge: none yet (bridge adds ${-saved}; it saves context once the servers it proxies list more than its own tools).`;
}

/** Lists every file looked at (for --verbose). */
export function renderSearched(result: DiscoveryResult, home: string): string {
  return result.searched
    .map((s) => printable(`${s.found ? "found  " : "absent "} ${tildePath(s.file, home)}`))
    .join("\n");
}

/** The --json document; env and header values, URL keys and secret arguments are masked unless `showSecrets`. */
export function jsonDocument(
  result: DiscoveryResult,
  costs: ToolCostReport | undefined,
  showSecrets: boolean,
): unknown {
  const servers = showSecrets ? result.servers : result.servers.map(maskEntry);
  return {
    servers: servers.map((s) => JSON.parse(JSON.stringify(s))),
    problems: result.problems,
    searched: result.searched,
    ...(costs ? { tools: costs } : {}),
  };
}
