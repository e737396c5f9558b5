/**
 * Every setting bridge reads, in one table: its environment variable, its config-file key, the zod
 * schema that validates it and its default. Environment variables override the config file.
 */
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { z } from "zod";
import { DURATION_HELP, SIZE_HELP, parseDuration, parseSize } from "./units.ts";

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) ctx.addIssue({ code: "custom", message: `expected ${DURATION_HELP}` });
  return ms ?? 0;
});
const size = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = parseSize(v);
  if (n === undefined) ctx.addIssue({ code: "custom", message: `expected ${SIZE_HELP}` });
  return n ?? 0;
});
const bool = z.union([z.boolean(), z.string()]).transform((v, ctx) => {
  if (typeof v === "boolean") return v;
  const s = v.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(s)) return true;
  if (["0", "false", "no", "off", ""].includes(s)) return false;
  ctx.addIssue({ code: "custom", message: "expected true/false (1/0, yes/no, on/off)" });
  return false;
});
const list = z
  .union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter(Boolean));
/** Regular expressions: a JSON array in the config file, one per line in the environment; each must compile. */
const regexList = z.union([z.array(z.string()), z.string()]).transform((v, ctx) => {
  const list = (Array.isArray(v) ? v : v.split("\n")).map((s) => s.trim()).filter(Boolean);
  for (const p of list) {
    try {
      new RegExp(p);
    } catch (err) {
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(p)} is not a valid regular expression (${(err as Error).message})`,
      });
    }
  }
  return list;
});
/** A list of paths: an array (config file) or one string split like PATH (`:`, `;` on Windows). */
const pathList = z
  .union([z.array(z.string()), z.string()])
  .transform((v) =>
    (Array.isArray(v) ? v : v.split(process.platform === "win32" ? ";" : ":")).map((s) => s.trim()).filter(Boolean),
  );
const posInt = (max: number) =>
  z
    .union([z.number(), z.string()])
    .pipe(
      z.coerce
        .number<string | number>()
        .int("expected a whole number")
        .min(0, "expected 0 or more")
        .max(max, `expected at most ${max}`),
    );
/** Module names, or `auto` (numpy, pandas, matplotlib.pyplot, where the image has them). */
const moduleList = list.pipe(
  z.array(
    z
      .string()
      .regex(
        /^(auto|[A-Za-z_]\w*(\.[A-Za-z_]\w*)*)$/,
        "expected module names such as numpy or matplotlib.pyplot, or auto",
      ),
  ),
);
const memory = z.string().regex(/^\d+[bkmg]?$/i, "expected a container memory limit such as 512m or 2g");
const optionalString = z.string().transform((s) => s.trim() || undefined);

/** The tool groups `serve` can expose: sandbox (run_python), escalation (escalate_to_claude), scripts (run_script), jobs (get_job, cancel_job). */
export const TOOL_GROUPS = ["sandbox", "escalation", "scripts", "jobs"] as const;
export type ToolGroup = (typeof TOOL_GROUPS)[number];
const toolGroups = list.pipe(
  z
    .array(z.enum(TOOL_GROUPS, { error: `expected a comma-separated list of ${TOOL_GROUPS.join(", ")}` }))
    .min(1, `expected at least one of ${TOOL_GROUPS.join(", ")}`),
);

/** One row of the settings table. */
interface Setting<S extends z.ZodType> {
  env: string;
  schema: S;
  default: z.input<S> | undefined;
  help: string;
  /** A renamed setting's old environment variable and config-file key, still accepted (the new name wins). */
  formerly?: { env: string; key: string };
}
const setting = <S extends z.ZodType>(
  env: string,
  schema: S,
  def: z.input<S> | undefined,
  help: string,
  formerly?: Setting<S>["formerly"],
): Setting<S> => ({
  env,
  schema,
  default: def,
  help,
  ...(formerly ? { formerly } : {}),
});

/** The settings table. Keys are the config-file names; `env` is the environment variable. */
export const SETTINGS = {
  root: setting(
    "BRIDGE_ROOT",
    z.string().min(1),
    join(homedir(), ".bridge"),
    "bridge's home: queue, token, scripts, state",
  ),
  stateDir: setting("MCP_BRIDGE_STATE_DIR", optionalString, undefined, "state directory (default: <root>/state)"),
  logLevel: setting(
    "MCP_BRIDGE_LOG_LEVEL",
    z.enum(["silent", "error", "warn", "info", "debug", "trace"]),
    "info",
    "stderr log level",
  ),
  engine: setting(
    "MCP_BRIDGE_ENGINE",
    z
      .string()
      .trim()
      .refine(
        (v) => ["auto", "podman", "docker"].includes(v) || isAbsolute(v),
        "expected auto, podman, docker, or the absolute path of the engine's CLI",
      ),
    "auto",
    "container engine: auto (podman, else docker, on PATH or in the usual install locations), podman, docker, or an absolute path such as /opt/homebrew/bin/podman (formerly MCP_BRIDGE_RUNTIME / runtime, still accepted)",
    { env: "MCP_BRIDGE_RUNTIME", key: "runtime" },
  ),
  ociRuntime: setting(
    "MCP_BRIDGE_OCI_RUNTIME",
    optionalString,
    undefined,
    "OCI runtime passed as --runtime (e.g. runc)",
  ),
  image: setting("MCP_BRIDGE_IMAGE", z.string().min(1), "python:3.14-slim", "sandbox image"),
  timeout: setting("MCP_BRIDGE_TIMEOUT", duration, "30s", "default run_python timeout"),
  maxTimeout: setting("MCP_BRIDGE_MAX_TIMEOUT", duration, "120s", "largest timeout a call may ask for"),
  memory: setting("MCP_BRIDGE_MEMORY", memory, "512m", "container memory limit"),
  pids: setting("MCP_BRIDGE_PIDS", posInt(1_000_000), 128, "container pids limit"),
  cpus: setting(
    "MCP_BRIDGE_CPUS",
    z
      .union([z.number(), z.string()])
      .pipe(z.coerce.number<string | number>().positive("expected a positive number of CPUs"))
      .optional(),
    undefined,
    "container CPU limit (unset: no limit)",
  ),
  containerUser: setting(
    "MCP_BRIDGE_CONTAINER_USER",
    z.string().regex(/^[\w.-]+(:[\w.-]+)?$/, "expected uid[:gid] such as 65534:65534"),
    "65534:65534",
    "user inside the sandbox",
  ),
  network: setting("MCP_BRIDGE_NETWORK", z.string().min(1), "none", "container network"),
  readOnly: setting("MCP_BRIDGE_READ_ONLY", bool, true, "read-only root filesystem"),
  capDrop: setting("MCP_BRIDGE_CAP_DROP", optionalString, "ALL", "capabilities to drop (empty: none)"),
  noNewPrivileges: setting("MCP_BRIDGE_NO_NEW_PRIVILEGES", bool, true, "no-new-privileges security option"),
  seccomp: setting(
    "MCP_BRIDGE_SECCOMP",
    z
      .string()
      .trim()
      .refine(
        (v) => v === "bridge" || v === "engine" || v.startsWith("/"),
        "expected bridge, engine or an absolute path to a seccomp profile (JSON)",
      ),
    "bridge",
    "seccomp profile: bridge (its own, embedded: the engine default without AF_VSOCK sockets, io_uring, keyrings), engine (the engine's default) or /path/to/profile.json",
  ),
  tmpfsSize: setting("MCP_BRIDGE_TMPFS_SIZE", memory, "64m", "size of the /tmp and /workspace tmpfs"),
  folders: setting(
    "MCP_BRIDGE_FOLDERS",
    list,
    [],
    "host folders run_python code may use, each at /data/<folder name>: read-only, or read-write with a `:rw` suffix (`~/sales:rw`; local engines only; never the output folder); absolute paths or ~/…; nothing is shared by default",
  ),
  outputFolder: setting(
    "MCP_BRIDGE_OUTPUT_FOLDER",
    optionalString,
    undefined,
    "host folder where files that code writes to /output are saved (they come back in the result either way)",
  ),
  warmImports: setting(
    "MCP_BRIDGE_WARM_IMPORTS",
    moduleList,
    "auto",
    "modules imported once per container, before each call's interpreter is forked (auto: numpy, pandas, matplotlib.pyplot where the image has them; empty: none)",
  ),
  poolSize: setting("MCP_BRIDGE_POOL_SIZE", posInt(32), 2, "pre-started sandbox containers"),
  recycle: setting(
    "MCP_BRIDGE_RECYCLE",
    bool,
    true,
    "reuse a pool container after a call once its processes are killed and /tmp, /workspace wiped (false: a new container per call)",
  ),
  idleTimeout: setting(
    "MCP_BRIDGE_IDLE_TIMEOUT",
    duration,
    "10m",
    "idle time before a session or pool container is removed (formerly MCP_BRIDGE_RUNTIME_IDLE_TIMEOUT / runtimeIdleTimeout, still accepted)",
    { env: "MCP_BRIDGE_RUNTIME_IDLE_TIMEOUT", key: "runtimeIdleTimeout" },
  ),
  maxOutput: setting(
    "MCP_BRIDGE_MAX_OUTPUT",
    size,
    "24k",
    "output returned per call, counted as sent (JSON-escaped over MCP); the head and tail are kept and the rest cut with a note (docs/upstream.md: client limits)",
  ),
  outputMode: setting("MCP_BRIDGE_OUTPUT_MODE", z.enum(["compact", "toon"]), "compact", "result text format"),
  tools: setting(
    "MCP_BRIDGE_TOOLS",
    toolGroups,
    [...TOOL_GROUPS],
    "tool groups serve exposes: sandbox (run_python), escalation (escalate_to_claude), scripts (run_script), jobs (get_job, cancel_job)",
  ),
  serversConfig: setting(
    "MCP_SERVERS_CONFIG",
    pathList,
    [],
    "MCP server config files read before every client's (a list: separated like PATH, or an array in config.json)",
  ),
  allowServers: setting(
    "MCP_BRIDGE_ALLOW_SERVERS",
    list,
    [],
    "only these servers (names or globs; name@client or name@client:scope to pin the source, e.g. notes@claude-code:user)",
  ),
  denyServers: setting(
    "MCP_BRIDGE_DENY_SERVERS",
    list,
    [],
    "never these servers (same patterns as MCP_BRIDGE_ALLOW_SERVERS)",
  ),
  trustedProjects: setting(
    "MCP_BRIDGE_TRUSTED_PROJECTS",
    pathList,
    [],
    "project directories whose project-level MCP configs bridge may use when their client keeps no approval record (.cursor/mcp.json, .vscode/mcp.json, …); dir/** covers subdirectories",
  ),
  allowSelfServer: setting(
    "MCP_BRIDGE_ALLOW_SELF_SERVER",
    bool,
    false,
    "allow config entries that start bridge itself",
  ),
  memoryStoreQuota: setting(
    "MCP_BRIDGE_MEMORY_STORE_QUOTA",
    size,
    "100m",
    "total size of the memory store (save_memory & co.); writes past it are refused",
  ),
  upstreamTimeout: setting("MCP_BRIDGE_UPSTREAM_TIMEOUT", duration, "60s", "per-call timeout for proxied MCP servers"),
  token: setting("BRIDGE_TOKEN", optionalString, undefined, "queue secret (else read from the token file)"),
  tokenFile: setting("BRIDGE_TOKEN_FILE", optionalString, undefined, "queue secret file (default: <root>/token)"),
  jobMaxAge: setting(
    "BRIDGE_JOB_MAX_AGE",
    duration,
    "24h",
    "queued jobs older than this are rejected as expired (also the replay window)",
  ),
  jobRetention: setting(
    "BRIDGE_JOB_RETENTION",
    duration,
    "168h",
    "how long finished jobs, results and progress are kept",
  ),
  claudeBin: setting(
    "BRIDGE_CLAUDE_BIN",
    optionalString,
    undefined,
    "Claude Code CLI the worker runs (default: claude on PATH)",
  ),
  claudeModel: setting(
    "BRIDGE_CLAUDE_MODEL",
    optionalString,
    undefined,
    "model for escalations unless the job names one (default: the CLI's)",
  ),
  claudeAllowedTools: setting(
    "BRIDGE_CLAUDE_ALLOWED_TOOLS",
    list,
    [],
    "tools escalations may use without asking, e.g. Bash(git diff:*),Edit",
  ),
  claudeDisallowedTools: setting("BRIDGE_CLAUDE_DISALLOWED_TOOLS", list, [], "tools escalations may never use"),
  claudeReadOnlyModes: setting(
    "BRIDGE_CLAUDE_READ_ONLY_MODES",
    list.pipe(z.array(z.enum(["plan", "default", "acceptEdits", "dontAsk", "auto", "bypassPermissions"]))),
    ["plan"],
    "permission modes whose escalations count as read-only and may run in parallel in one directory (writing runs stay one at a time); add dontAsk only if the allowed tools cannot write",
  ),
  claudeMaxTurns: setting(
    "BRIDGE_CLAUDE_MAX_TURNS",
    posInt(10_000),
    0,
    "most turns per escalation; a job may ask for fewer (0: no limit)",
  ),
  redact: setting(
    "BRIDGE_REDACT",
    bool,
    true,
    "worker: replace secrets (API keys, tokens, password= pairs, private keys) in job output returned to the model with [REDACTED:kind]",
  ),
  redactPatterns: setting(
    "BRIDGE_REDACT_PATTERNS",
    regexList,
    [],
    "worker: extra secret patterns to redact (regular expressions; one per line in the environment, an array in the config file; the first group, else the whole match)",
  ),
  processTracking: setting(
    "BRIDGE_PROCESS_TRACKING",
    z.enum(["auto", "cgroup", "systemd", "proc", "group"]),
    "auto",
    "how the worker tracks what a job starts, to stop all of it on timeout, cancel or exit: cgroup (own cgroup v2 subtree), systemd (a user scope per job), proc (process group, session, /proc scan), group (process group only); auto: the first that works",
  ),
  claudeMaxBudgetUsd: setting(
    "BRIDGE_CLAUDE_MAX_BUDGET_USD",
    z.union([z.number(), z.string()]).pipe(z.coerce.number<string | number>().min(0, "expected 0 or more")),
    0,
    "cost limit per escalation in USD (0: no limit)",
  ),
} as const;

type Settings = typeof SETTINGS;
/** The validated configuration: every setting parsed, with defaults applied. */
export type Config = { [K in keyof Settings]: z.output<Settings[K]["schema"]> } & {
  stateDir: string;
  tokenFile: string;
};
