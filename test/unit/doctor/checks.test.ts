import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../../src/config/index.ts";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claudeCheck } from "../../../src/doctor/checks/claude.ts";
import { foldersResult } from "../../../src/doctor/checks/data.ts";
import { rootCheck } from "../../../src/doctor/checks/root.ts";
import { renderReport, reportExitCode, runChecks, withSelfCommand } from "../../../src/doctor/report.ts";
import type { CheckResult, DoctorDeps, SpawnResult } from "../../../src/doctor/types.ts";

type Stat = ReturnType<DoctorDeps["stat"]>;
function deps(
  over: Partial<DoctorDeps> & { files?: Record<string, Stat>; run?: Record<string, SpawnResult> } = {},
): DoctorDeps {
  return {
    config: loadConfig({ env: { BRIDGE_ROOT: "/r" }, readFile: () => undefined }),
    env: {},
    which: () => undefined,
    spawn: async (argv) =>
      over.run?.[argv.slice(1).join(" ")] ?? { code: 127, stdout: "", stderr: "not found", notFound: true },
    stat: (p) => over.files?.[p],
    readText: () => undefined,
    now: () => 0,
    ...over,
  };
}
const asList = (r: CheckResult | CheckResult[]) => (Array.isArray(r) ? r : [r]);

describe("claude check", () => {
  test("missing CLI → warning with the install command", async () => {
    const [r] = asList(await claudeCheck(deps()));
    expect(r!.status).toBe("warn");
    expect(r!.fix).toContain("npm install -g @anthropic-ai/claude-code");
  });
  test("installed but not logged in → says so and how to log in", async () => {
    const r = asList(
      await claudeCheck(
        deps({
          which: () => "/bin/claude",
          run: {
            "--version": { code: 0, stdout: "2.1.330 (Claude Code)\n", stderr: "" },
            "auth status": { code: 1, stdout: '{"loggedIn":false}', stderr: "" },
          },
        }),
      ),
    );
    expect(r.map((x) => x.status)).toEqual(["ok", "warn"]);
    expect(r[1]!.detail).toContain("not logged in");
    expect(r[1]!.fix).toContain("/login");
  });
  test("an API key in the environment is flagged: it overrides the subscription", async () => {
    const r = asList(
      await claudeCheck(
        deps({
          which: () => "/bin/claude",
          env: { ANTHROPIC_API_KEY: "sk-x" },
          run: {
            "--version": { code: 0, stdout: "2.1.330", stderr: "" },
            "auth status": { code: 0, stdout: '{"loggedIn":true}', stderr: "" },
          },
        }),
      ),
    );
    expect(r.map((x) => x.status)).toEqual(["ok", "ok", "warn"]);
    expect(r[2]!.fix).toContain("unset ANTHROPIC_API_KEY");
  });
});

describe("root check", () => {
  const dir = (mode: number): Stat => ({ mode, isSymlink: false, isDirectory: true });
  const file = (mode: number, isSymlink = false): Stat => ({ mode, isSymlink, isDirectory: false });
  test("missing root → run worker --init", async () => {
    const [r] = asList(await rootCheck(deps()));
    expect(r!.fix).toContain("bridge worker --init");
  });
  test("private root and token → ok", async () => {
    const r = asList(await rootCheck(deps({ files: { "/r": dir(0o40700), "/r/token": file(0o100600) } })));
    expect(r.map((x) => x.status)).toEqual(["ok", "ok"]);
  });
  test("a token others can read fails with the chmod to run", async () => {
    const r = asList(await rootCheck(deps({ files: { "/r": dir(0o40755), "/r/token": file(0o100644) } })));
    expect(r.map((x) => x.status)).toEqual(["warn", "fail"]);
    expect(r[1]!.fix).toBe("chmod 600 /r/token");
  });
  test("a symlinked token is refused", async () => {
    const r = asList(await rootCheck(deps({ files: { "/r": dir(0o40700), "/r/token": file(0o120777, true) } })));
    expect(r[1]!.status).toBe("fail");
  });
});

describe("report", () => {
  test("a crashing check is reported as a failure, not a crash", async () => {
    const results = await runChecks(
      [
        {
          label: "boom",
          check: async () => {
            throw new Error("kaput");
          },
        },
      ],
      deps(),
    );
    expect(results[0]).toMatchObject({ name: "boom", status: "fail" });
    expect(results[0]!.detail).toContain("kaput");
    expect(reportExitCode(results)).toBe(1);
  });
  test("fixes are printed under problems; warnings alone still exit 0", () => {
    const results: CheckResult[] = [
      { name: "a", status: "ok", detail: "fine" },
      { name: "b", status: "warn", detail: "meh", fix: "do x" },
    ];
    const text = renderReport(results);
    expect(text).toContain("→ do x");
    expect(text).toContain("Ready, with 1 warning(s).");
    expect(reportExitCode(results)).toBe(0);
  });
  test("next steps name the running binary, not a bare `bridge` (iproute2's on Linux, or none on PATH)", () => {
    const results: CheckResult[] = [
      { name: "bridge root", status: "warn", detail: "missing", fix: "run `bridge worker --init` to create it" },
      {
        name: "servers",
        status: "warn",
        detail: "see `bridge discover`",
        fix: "`bridge discover` shows how; a bridge worker is unrelated",
      },
      { name: "ok", status: "ok", detail: "fine" },
    ];
    const [root, servers, ok] = withSelfCommand(results, ["/home/a b/.local/bin/bridge"]);
    expect(root!.fix).toBe("run `'/home/a b/.local/bin/bridge' worker --init` to create it");
    expect(servers!.detail).toBe("see `'/home/a b/.local/bin/bridge' discover`");
    expect(servers!.fix).toBe("`'/home/a b/.local/bin/bridge' discover` shows how; a bridge worker is unrelated");
    expect(ok).toEqual(results[2]!);
    expect(withSelfCommand(results, ["/usr/bin/bun", "/src/cli.ts"])[0]!.fix).toBe(
      "run `/usr/bin/bun /src/cli.ts worker --init` to create it",
    );
  });
});

describe("folders check", () => {
  test("lists read-only and read-write folders apart; a read-write folder holding the output folder fails with the fix", () => {
    const tmp = mkdtempSync(join(tmpdir(), "bridge-doctor-folders-"));
    try {
      for (const d of ["ref", "work/reports", "out"]) mkdirSync(join(tmp, d), { recursive: true });
      const config = (env: Record<string, string>) =>
        loadConfig({ env: { BRIDGE_ROOT: join(tmp, "root"), ...env }, readFile: () => undefined });
      const ok = foldersResult(
        config({
          MCP_BRIDGE_FOLDERS: `${join(tmp, "ref")},${join(tmp, "work")}:rw`,
          MCP_BRIDGE_OUTPUT_FOLDER: join(tmp, "out"),
        }),
      );
      expect(ok).toEqual({
        name: "folders",
        status: "ok",
        detail: `read-only: /data/ref ← ${join(tmp, "ref")}; read-write: /data/work ↔ ${join(tmp, "work")}; /output → ${join(tmp, "out")}`,
      });
      const bad = foldersResult(
        config({ MCP_BRIDGE_FOLDERS: `${join(tmp, "work")}:rw`, MCP_BRIDGE_OUTPUT_FOLDER: join(tmp, "work/reports") }),
      );
      expect(bad).toMatchObject({ name: "folders", status: "fail" });
      expect(bad!.detail).toContain("is allowed read-write and contains MCP_BRIDGE_OUTPUT_FOLDER");
      expect(bad!.fix).toContain("Use separate folders");
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
