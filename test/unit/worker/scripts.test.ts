import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listScripts, resolveScript, validateArgs } from "../../../src/host-scripts/catalog.ts";
import { scriptNameProblem } from "../../../src/host-scripts/names.ts";
import { runProcess } from "../../../src/host-scripts/run.ts";

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
function scriptsDir() {
  const base = mkdtempSync(join(tmpdir(), "bridge-unit-scripts-"));
  dirs.push(base);
  const dir = join(base, "scripts");
  mkdirSync(dir, { mode: 0o700 });
  const add = (name: string, body = "#!/bin/sh\nexit 0\n", mode = 0o755) => {
    writeFileSync(join(dir, name), body);
    chmodSync(join(dir, name), mode);
  };
  return { base, dir, add };
}

describe("script names", () => {
  test.each(["ok", "a.sh", "build_all", "x-1", "A9"])("%p is accepted", (n) =>
    expect(scriptNameProblem(n)).toBeUndefined(),
  );
  test.each([
    "",
    ".",
    "..",
    "../x",
    "a/b",
    "/bin/sh",
    "a\\b",
    ".hidden",
    "-rf",
    "a..b",
    "x\0",
    "m.json",
    "a b",
    "$(x)",
    "é",
    "a".repeat(65),
  ])("%p is rejected", (n) => {
    expect(scriptNameProblem(n)).toBeString();
  });
  test("non-strings are rejected", () => expect(scriptNameProblem(42)).toBeString());
});

describe("resolveScript and listScripts", () => {
  test("regular executables and links inside the directory; links out, non-executables, directories refused", async () => {
    const { base, dir, add } = scriptsDir();
    add("good");
    add("noexec", "x", 0o644);
    mkdirSync(join(dir, "subdir"));
    writeFileSync(join(base, "outside"), "#!/bin/sh\n");
    chmodSync(join(base, "outside"), 0o755);
    symlinkSync(join(base, "outside"), join(dir, "out-link"));
    symlinkSync("good", join(dir, "in-link"));
    symlinkSync("/nonexistent", join(dir, "dangling"));
    expect((await resolveScript(dir, "good")).path).toBe(join(dir, "good"));
    expect((await resolveScript(dir, "in-link")).path).toBe(join(dir, "good"));
    for (const [name, why] of [
      ["out-link", "outside"],
      ["dangling", "outside"],
      ["noexec", "not executable"],
      ["subdir", "not a regular file"],
      ["missing", "not a whitelisted"],
      ["../outside", "not a path"],
    ]) {
      await expect(resolveScript(dir, name!)).rejects.toThrow(why!);
    }
    const { scripts, problems } = await listScripts(dir);
    expect(scripts.map((s) => s.name)).toEqual(["good", "in-link"]);
    expect(problems.length).toBe(4);
  });
  test("manifests: shared file and per-script file (which wins), defaults, and invalid manifests refuse the script", async () => {
    const { dir, add } = scriptsDir();
    add("a");
    add("b");
    add("c");
    writeFileSync(
      join(dir, "bridge-scripts.json"),
      JSON.stringify({
        scripts: { a: { description: "from shared", readOnly: true, timeout: "5s" }, b: { description: "shared b" } },
      }),
    );
    writeFileSync(
      join(dir, "b.json"),
      JSON.stringify({ description: "own b", cwd: "/tmp", env: ["HOME"], args: { type: "array", maxItems: 1 } }),
    );
    writeFileSync(join(dir, "c.json"), JSON.stringify({ descripton: "typo" }));
    expect(await resolveScript(dir, "a")).toMatchObject({
      description: "from shared",
      readOnly: true,
      destructive: false,
      timeoutMs: 5000,
      cwd: dir,
      env: [],
    });
    expect(await resolveScript(dir, "b")).toMatchObject({
      description: "own b",
      cwd: "/tmp",
      env: ["HOME"],
      readOnly: false,
      destructive: true,
    });
    await expect(resolveScript(dir, "c")).rejects.toThrow(/c\.json is invalid/);
  });
  test("a group-writable scripts directory is refused", async () => {
    const { dir, add } = scriptsDir();
    add("good");
    chmodSync(dir, 0o775);
    await expect(resolveScript(dir, "good")).rejects.toThrow(/writable by group or others/);
  });
  test("validateArgs: strings only, NUL refused, schema applied", () => {
    const info = {
      name: "x",
      readOnly: false,
      destructive: true,
      argsSchema: { type: "array", items: { enum: ["a", "b"] } },
    };
    expect(validateArgs(info, ["a", "b"])).toEqual(["a", "b"]);
    expect(() => validateArgs(info, ["c"])).toThrow(/do not match/);
    expect(() => validateArgs({ ...info, argsSchema: undefined }, ["x\0y"])).toThrow(/NUL/);
    expect(() => validateArgs({ ...info, argsSchema: undefined }, [1])).toThrow(/array of strings/);
  });
});

describe("runProcess", () => {
  const base = { cwd: "/", env: { PATH: "/usr/bin:/bin" }, timeoutMs: 10_000, maxOutput: 1024 };
  test("argv is passed verbatim, without a shell", async () => {
    const args = ["--help", "a b", "$(echo hi)", "x\ny", "", "*", "'"];
    const r = await runProcess({ ...base, path: "/usr/bin/printf", args: ["%s|", ...args] });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(args.map((a) => `${a}|`).join(""));
  });
  test("stdin, exit codes, output cap", async () => {
    expect((await runProcess({ ...base, path: "/bin/cat", args: [], stdin: "in" })).stdout).toBe("in");
    expect((await runProcess({ ...base, path: "/bin/sh", args: ["-c", "exit 7"] })).exitCode).toBe(7);
    const big = await runProcess({ ...base, path: "/bin/sh", args: ["-c", "head -c 5000 /dev/zero"] });
    expect(big).toMatchObject({ truncated: true, stdoutBytes: 5000 });
    expect(big.stdout.length).toBe(1024);
  });
  test("timeout: SIGTERM, then SIGKILL for a process that ignores it", async () => {
    const r = await runProcess({
      ...base,
      path: "/bin/sh",
      args: ["-c", "trap '' TERM; sleep 30"],
      timeoutMs: 200,
      killGraceMs: 300,
    });
    expect(r).toMatchObject({ timedOut: true, exitCode: null });
    expect(r.durationMs).toBeLessThan(5000);
  });
  test("abort signal stops the process; a missing program rejects", async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    expect(await runProcess({ ...base, path: "/bin/sleep", args: ["30"], signal: ac.signal })).toMatchObject({
      aborted: true,
    });
    await expect(runProcess({ ...base, path: "/nonexistent/prog", args: [] })).rejects.toThrow();
  });
  test("with watchPid, the process group is stopped when the watched process dies; argv still verbatim", async () => {
    const parent = Bun.spawn(["sleep", "30"]);
    const args = ["--help", "a b", "$(x)"];
    const ok = await runProcess({ ...base, path: "/usr/bin/printf", args: ["%s|", ...args], watchPid: parent.pid });
    expect(ok.stdout).toBe("--help|a b|$(x)|");
    const pending = runProcess({ ...base, path: "/bin/sleep", args: ["30"], watchPid: parent.pid });
    await Bun.sleep(200);
    parent.kill("SIGKILL");
    const r = await pending;
    expect(r.timedOut).toBe(false);
    expect(r.signal).toBe("SIGTERM");
    expect(r.durationMs).toBeLessThan(5000);
  });
});
