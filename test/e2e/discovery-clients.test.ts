/**
 * Each client's configuration, read the way that client does: for every fixture in
 * test/fixtures/clients/<client>/ (realistic files written from the client's documentation, sources
 * in its README.md), the compiled binary runs `bridge discover --json --show-secrets` with the
 * fixture as HOME and working directory, and every expected server must match: format, scope,
 * transport, command, args, env, url, headers, cwd, status.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bridgeEnv, requireBinary, tempDir } from "../support/bridge.ts";
import { CLIENT_FIXTURES, copyClientFixture } from "../support/discovery-fixture.ts";

const bin = requireBinary();
/** Commands the fixtures start (npx, uvx, …) exist as harmless scripts, so statuses do not depend on this machine. */
const tools = tempDir("bridge-client-bin-");
const FAKE = ["npx", "uvx", "node", "docker", "python3", "bunx", "deno"];
beforeAll(() => {
  for (const name of FAKE) {
    writeFileSync(join(tools.path, name), "#!/bin/sh\nexit 0\n");
    chmodSync(join(tools.path, name), 0o755);
  }
});
afterAll(tools.cleanup);

function discover(fx: { home: string; project: string }, env: Record<string, string>, args: string[]) {
  const r = Bun.spawnSync([bin, "discover", ...args], {
    cwd: fx.project,
    env: {
      ...bridgeEnv(join(fx.home, ".bridge"), {
        HOME: fx.home,
        PATH: `${tools.path}:/usr/bin:/bin`,
        XDG_CONFIG_HOME: join(fx.home, ".config"),
        ...env,
      }),
      HOME: fx.home,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe.each(CLIENT_FIXTURES)("client fixture %s", (client) => {
  const fx = copyClientFixture(client);
  afterAll(fx.cleanup);
  mkdirSync(join(fx.home, ".bridge"), { recursive: true });

  for (const run of fx.expected.runs) {
    test(run.name, () => {
      const r = discover(fx, run.env ?? {}, run.args ?? ["--json", "--show-secrets"]);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as {
        servers: Array<Record<string, unknown>>;
        problems: Array<{ file: string; reason: string }>;
      };
      const byName = Object.fromEntries(doc.servers.map((s) => [s.name as string, s]));
      for (const [name, want] of Object.entries(run.servers)) {
        expect({ name, ...(byName[name] ?? { missing: true }) }).toMatchObject({ name, ...want });
      }
      for (const name of run.absent ?? []) expect(byName[name]).toBeUndefined();
      if (run.problems) {
        expect(doc.problems.length).toBe(run.problems.length);
        run.problems.forEach((p, i) => {
          expect(doc.problems[i]!.file).toContain(p.file);
          expect(doc.problems[i]!.reason).toContain(p.reason);
        });
      }
    });
  }
});
