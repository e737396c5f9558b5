import { describe, expect, test } from "bun:test";
import { homedir, tmpdir } from "node:os";
import { loadConfig } from "../../../src/config/index.ts";
import { renderService, selfCommand } from "../../../src/worker/service.ts";
import { repeatedFlag, workerOptions } from "../../../src/worker/options.ts";

describe("renderService", () => {
  const spec = {
    home: "/home/u",
    argv: ["/opt/my bridge/bridge", "worker", "--allow-root", "/src/100%"],
    env: { BRIDGE_ROOT: "/home/u/.bridge", PATH: "/usr/bin" },
    logFile: "/home/u/.bridge/worker.log",
  };
  test("systemd user unit with the absolute binary, quoted arguments and environment", () => {
    const r = renderService({ ...spec, platform: "linux" });
    expect(r.path).toBe("/home/u/.config/systemd/user/bridge-worker.service");
    expect(r.content).toContain('ExecStart="/opt/my bridge/bridge" worker --allow-root /src/100%%');
    expect(r.content).toContain("Environment=BRIDGE_ROOT=/home/u/.bridge");
    expect(r.content).toContain("WantedBy=default.target");
    expect(r.enable).toContain("systemctl --user enable --now bridge-worker.service");
  });
  test("launchd agent with escaped XML", () => {
    const r = renderService({ ...spec, argv: ["/b<&>", "worker"], platform: "darwin" });
    expect(r.path).toBe("/home/u/Library/LaunchAgents/dev.bridge.worker.plist");
    expect(r.content).toContain("<string>/b&lt;&amp;&gt;</string>");
    expect(r.content).toContain("<key>RunAtLoad</key><true/>");
    expect(r.enable).toContain("launchctl bootstrap");
  });
  test("other platforms are refused with a hint", () => {
    expect(() => renderService({ ...spec, platform: "win32" })).toThrow(/supports Linux/);
  });
  test("selfCommand: the compiled binary alone, or bun plus the script", () => {
    expect(selfCommand("/usr/local/bin/bridge", "/$bunfs/root/bridge")).toEqual(["/usr/local/bin/bridge"]);
    expect(selfCommand("/usr/bin/bun", "src/main.ts")[1]).toMatch(/\/src\/main\.ts$/);
  });
});

describe("worker options", () => {
  const config = loadConfig({ env: { BRIDGE_ROOT: "/r" }, readFile: () => undefined });
  test("defaults", () => {
    expect(workerOptions({}, [], config)).toMatchObject({
      concurrency: 2,
      scriptsDir: "/r/scripts",
      permissionMode: "default",
      timeoutMs: 1_800_000,
      graceMs: 30_000,
      once: false,
    });
    expect(workerOptions({}, [], config).allowRoots.length).toBe(1);
  });
  test("validation names the flag", () => {
    expect(() => workerOptions({ concurrency: "0" }, [], config)).toThrow(/--concurrency/);
    expect(() => workerOptions({ concurrency: "x" }, [], config)).toThrow(/--concurrency/);
    expect(() => workerOptions({ permissionMode: "yolo" }, [], config)).toThrow(/--permission-mode/);
    expect(() => workerOptions({ timeout: "soon" }, [], config)).toThrow(/--timeout/);
    expect(() => workerOptions({}, ["/nonexistent-root-xyz"], config)).toThrow(/--allow-root/);
    expect(() => workerOptions({}, ["relative"], config)).toThrow(/--allow-root/);
  });
  test("--allow-root repeats", () => {
    const raw = [
      "--allow-root",
      tmpdir(),
      "--concurrency",
      "3",
      `--allow-root=${homedir()}`,
      "--",
      "--allow-root",
      "/x",
    ];
    expect(repeatedFlag(raw, "--allow-root")).toEqual([tmpdir(), homedir()]);
    expect(workerOptions({ concurrency: "3" }, repeatedFlag(raw, "--allow-root"), config).allowRoots.length).toBe(2);
  });
});
