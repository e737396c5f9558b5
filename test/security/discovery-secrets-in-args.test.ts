/**
 * Attack (issue 9, "Secrets", review): credentials passed as *arguments* — the form many servers'
 * own docs use — were printed by `bridge discover` without `--show-secrets` and were not redacted
 * from a server's stderr in errors that reach the model: a database URL of any scheme
 * (`postgresql://u:pw@…`, `redis://:pw@…`, `mongodb+srv://…`), mcp-remote's
 * `--header "Authorization: Bearer …"`, docker's `-e API_KEY=…`, a bare key-looking argument, and
 * the password of a URL in an env value echoed on its own. None of them may come through.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UpstreamConnection } from "../../src/upstream/connection.ts";
import type { ServerEntry } from "../../src/upstream/types.ts";
import { bridgeEnv, requireBinary, tempDir } from "../support/bridge.ts";

const bin = requireBinary();
const dir = tempDir("bridge-secret-args-");
afterAll(dir.cleanup);

const SECRETS = [
  "PgPw1quiet",
  "RedisPw2quiet",
  "MongoPw3quiet",
  "HdrTok4quietvalue",
  "DockerKey5quiet",
  "sk-live-Bare6quietvalue1234",
  "EnvUrlPw7quiet",
];

test("discover (table and --json) masks credentials in arguments of every shape", () => {
  const home = join(dir.path, "home");
  const project = join(dir.path, "project");
  mkdirSync(home, { recursive: true });
  mkdirSync(project, { recursive: true });
  writeFileSync(
    join(home, ".claude.json"),
    JSON.stringify({
      mcpServers: {
        pg: {
          command: "npx",
          args: ["-y", "@modelcontextprotocol/server-postgres", "postgresql://bob:PgPw1quiet@db.internal:5432/prod"],
        },
        redis: {
          command: "npx",
          args: ["-y", "@modelcontextprotocol/server-redis", "redis://:RedisPw2quiet@localhost:6379"],
        },
        mongo: {
          command: "npx",
          args: ["-y", "mongodb-mcp-server", "--connectionString=mongodb+srv://u:MongoPw3quiet@cluster0.example.net/"],
        },
        remote: {
          command: "npx",
          args: [
            "-y",
            "mcp-remote",
            "https://mcp.example.com/mcp",
            "--header",
            "Authorization: Bearer HdrTok4quietvalue",
          ],
        },
        docker: { command: "docker", args: ["run", "-i", "--rm", "-e", "API_KEY=DockerKey5quiet", "example/mcp"] },
        bare: { command: "npx", args: ["-y", "some-mcp", "sk-live-Bare6quietvalue1234"] },
        envurl: { command: "sh", env: { DATABASE_URL: "postgres://bob:EnvUrlPw7quiet@db/prod" } },
      },
    }),
  );
  for (const flags of [[], ["--json"], ["--verbose"]]) {
    const out = Bun.spawnSync([bin, "discover", ...flags], {
      cwd: project,
      env: bridgeEnv(join(dir.path, "root"), { HOME: home, COLUMNS: "400" }),
    });
    const text = out.stdout.toString() + out.stderr.toString();
    expect(out.exitCode).toBe(0);
    expect(text).toContain("pg");
    for (const s of SECRETS) expect(text).not.toContain(s);
  }
  const shown = Bun.spawnSync([bin, "discover", "--json", "--show-secrets"], {
    cwd: project,
    env: bridgeEnv(join(dir.path, "root"), { HOME: home }),
  });
  expect(shown.stdout.toString()).toContain("PgPw1quiet");
  // What is not a secret stays readable.
  const plain = Bun.spawnSync([bin, "discover", "--json"], {
    cwd: project,
    env: bridgeEnv(join(dir.path, "root"), { HOME: home }),
  }).stdout.toString();
  for (const kept of [
    "@modelcontextprotocol/server-postgres",
    "db.internal:5432",
    "--header",
    "Authorization: ***",
    "example/mcp",
  ])
    expect(plain).toContain(kept);
});

test("a server that echoes its argument and env credentials to stderr: the model's error has none of them", async () => {
  const script =
    'echo "connect $1 failed; header $2; password ${DATABASE_URL#*bob:}; pw alone: $(echo $DATABASE_URL | cut -d: -f3 | cut -d@ -f1)" >&2; exit 3';
  const entry: ServerEntry = {
    name: "echoer",
    source: "/h/.claude.json",
    format: "claude-code",
    scope: "user",
    transport: "stdio",
    status: "ok",
    command: "sh",
    args: [
      "-c",
      script,
      "sh",
      "postgresql://bob:PgPw1quiet@db.internal/prod",
      "Authorization: Bearer HdrTok4quietvalue",
    ],
    env: { DATABASE_URL: "postgres://bob:EnvUrlPw7quiet@db/prod" },
  };
  const logs: string[] = [];
  const conn = new UpstreamConnection(entry, {
    timeoutMs: 10_000,
    logDir: dir.path,
    log: { debug: (m) => logs.push(m), warn: (m) => logs.push(m) },
  });
  const err = (await conn.listTools().catch((e) => e)) as Error;
  await conn.close();
  expect(err.message).toContain("pw alone: ***");
  for (const text of [err.message, ...logs]) for (const s of SECRETS) expect(text).not.toContain(s);
}, 30_000);
