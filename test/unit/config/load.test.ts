import { describe, expect, test } from "bun:test";
import { loadConfig, validateConfig } from "../../../src/config/index.ts";
import { BridgeError } from "../../../src/errors.ts";

const files = (map: Record<string, string>) => (path: string) => map[path];

function configError(env: Record<string, string>, fileMap: Record<string, string> = {}): BridgeError {
  try {
    loadConfig({ env, readFile: files(fileMap) });
  } catch (err) {
    if (err instanceof BridgeError) return err;
    throw err;
  }
  throw new Error("expected loadConfig to throw");
}

describe("loadConfig", () => {
  test("defaults are sane and derived paths follow BRIDGE_ROOT", () => {
    const c = loadConfig({ env: { BRIDGE_ROOT: "/r" }, readFile: files({}) });
    expect(c.root).toBe("/r");
    expect(c.stateDir).toBe("/r/state");
    expect(c.tokenFile).toBe("/r/token");
    expect(c.timeout).toBe(30_000);
    expect(c.maxTimeout).toBe(120_000);
    expect(c.memory).toBe("512m");
    expect(c.pids).toBe(128);
    expect(c.network).toBe("none");
    expect(c.readOnly).toBe(true);
    expect(c.containerUser).toBe("65534:65534");
    expect(c.outputMode).toBe("compact");
    expect(c.cpus).toBeUndefined();
  });

  test("environment variables are parsed", () => {
    const c = loadConfig({
      env: {
        BRIDGE_ROOT: "/r",
        MCP_BRIDGE_TIMEOUT: "2m",
        MCP_BRIDGE_MAX_TIMEOUT: "5m",
        MCP_BRIDGE_PIDS: "64",
        MCP_BRIDGE_CPUS: "1.5",
        MCP_BRIDGE_READ_ONLY: "no",
        MCP_BRIDGE_DENY_SERVERS: "a, b*",
        MCP_BRIDGE_MAX_OUTPUT: "1m",
        MCP_BRIDGE_ENGINE: "docker",
      },
      readFile: files({}),
    });
    expect(c.timeout).toBe(120_000);
    expect(c.pids).toBe(64);
    expect(c.cpus).toBe(1.5);
    expect(c.readOnly).toBe(false);
    expect(c.denyServers).toEqual(["a", "b*"]);
    expect(c.maxOutput).toBe(1048576);
    expect(c.engine).toBe("docker");
  });

  test("renamed settings are still read under their old names; the new name wins", () => {
    const old = loadConfig({
      env: { BRIDGE_ROOT: "/r", MCP_BRIDGE_RUNTIME: "podman", MCP_BRIDGE_RUNTIME_IDLE_TIMEOUT: "3m" },
      readFile: files({}),
    });
    expect(old.engine).toBe("podman");
    expect(old.idleTimeout).toBe(180_000);
    const both = loadConfig({
      env: { BRIDGE_ROOT: "/r", MCP_BRIDGE_RUNTIME: "podman", MCP_BRIDGE_ENGINE: "docker" },
      readFile: files({}),
    });
    expect(both.engine).toBe("docker");
    const file = loadConfig({
      env: { BRIDGE_ROOT: "/r" },
      readFile: files({ "/r/config.json": JSON.stringify({ runtime: "docker", runtimeIdleTimeout: "1m" }) }),
    });
    expect(file.engine).toBe("docker");
    expect(file.idleTimeout).toBe(60_000);
    expect(configError({ BRIDGE_ROOT: "/r", MCP_BRIDGE_RUNTIME: "lxc" }).message).toContain("MCP_BRIDGE_RUNTIME");
  });

  test("the config file is read and the environment wins over it", () => {
    const c = loadConfig({
      env: { BRIDGE_ROOT: "/r", MCP_BRIDGE_MEMORY: "1g" },
      readFile: files({ "/r/config.json": JSON.stringify({ memory: "256m", pids: 32, timeout: "45s" }) }),
    });
    expect(c.memory).toBe("1g");
    expect(c.pids).toBe(32);
    expect(c.timeout).toBe(45_000);
  });

  test("MCP_BRIDGE_FOLDERS keeps each entry's ':rw' / ':ro' suffix (a comma list in the environment, an array in the file)", () => {
    const env = loadConfig({
      env: { BRIDGE_ROOT: "/r", MCP_BRIDGE_FOLDERS: " ~/sales:rw , /srv/ref:ro,/srv/raw " },
      readFile: files({}),
    });
    expect(env.folders).toEqual(["~/sales:rw", "/srv/ref:ro", "/srv/raw"]);
    const file = loadConfig({
      env: { BRIDGE_ROOT: "/r" },
      readFile: files({ "/r/config.json": JSON.stringify({ folders: ["~/sales:rw", "/srv/raw"] }) }),
    });
    expect(file.folders).toEqual(["~/sales:rw", "/srv/raw"]);
  });

  test("MCP_BRIDGE_CONFIG points at another file", () => {
    const c = loadConfig({
      env: { BRIDGE_ROOT: "/r", MCP_BRIDGE_CONFIG: "/etc/b.json" },
      readFile: files({ "/etc/b.json": '{"pids": 7}' }),
    });
    expect(c.pids).toBe(7);
  });

  test("an invalid value names the variable, the value and what is accepted", () => {
    const err = configError({ BRIDGE_ROOT: "/r", MCP_BRIDGE_TIMEOUT: "soon" });
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.message).toContain('MCP_BRIDGE_TIMEOUT="soon"');
    expect(err.message).toContain("30s");
    expect(err.exitCode).toBe(2);
  });

  test("every problem is reported at once", () => {
    const err = configError({
      BRIDGE_ROOT: "/r",
      MCP_BRIDGE_ENGINE: "lxc",
      MCP_BRIDGE_PIDS: "-3",
      MCP_BRIDGE_MEMORY: "lots",
    });
    expect(err.message).toContain("MCP_BRIDGE_ENGINE");
    expect(err.message).toContain("podman");
    expect(err.message).toContain("MCP_BRIDGE_PIDS");
    expect(err.message).toContain("MCP_BRIDGE_MEMORY");
  });

  test("a broken or unknown-keyed config file is reported with its path", () => {
    expect(configError({ BRIDGE_ROOT: "/r" }, { "/r/config.json": "{ nope" }).message).toContain(
      "/r/config.json: not valid JSON",
    );
    expect(
      configError({ BRIDGE_ROOT: "/r" }, { "/r/config.json": '{\n  "timeout": "10s",\n  memory: "1g"\n}' }).message,
    ).toContain("not valid JSON: invalid symbol at line 3, column 3");
    expect(configError({ BRIDGE_ROOT: "/r" }, { "/r/config.json": '{ "timeout": "10s", }' }).message).toContain(
      "at line 1, column 21",
    );
    expect(configError({ BRIDGE_ROOT: "/r" }, { "/r/config.json": '{"timout": "3s"}' }).message).toContain(
      'unknown setting "timout"',
    );
  });

  test("timeout above the maximum is refused", () => {
    expect(configError({ BRIDGE_ROOT: "/r", MCP_BRIDGE_TIMEOUT: "10m" }).message).toContain(
      "exceeds MCP_BRIDGE_MAX_TIMEOUT",
    );
  });
});

describe("validateConfig", () => {
  test("never throws: each invalid value is a problem and its default is used", () => {
    const { config, problems } = validateConfig({
      env: { BRIDGE_ROOT: "/r", MCP_BRIDGE_TIMEOUT: "soon", MCP_BRIDGE_PIDS: "-3", MCP_BRIDGE_MEMORY: "1g" },
      readFile: files({}),
    });
    expect(config.timeout).toBe(30_000);
    expect(config.pids).toBe(128);
    expect(config.memory).toBe("1g"); // valid values are kept
    expect(problems.map((p) => p.setting)).toEqual(["MCP_BRIDGE_TIMEOUT", "MCP_BRIDGE_PIDS"]);
    expect(problems[0]).toMatchObject({ value: "soon", fallback: "30s" });
    expect(problems[0]!.message).toContain('MCP_BRIDGE_TIMEOUT="soon" is not valid');
  });

  test("a broken, unknown-keyed or unreadable config file is a problem, not an exception", () => {
    expect(
      validateConfig({ env: { BRIDGE_ROOT: "/r" }, readFile: files({ "/r/config.json": "{ nope" }) }).problems[0]!
        .message,
    ).toContain("not valid JSON");
    const unreadable = validateConfig({
      env: { BRIDGE_ROOT: "/r" },
      readFile: () => {
        throw new Error("EACCES: permission denied");
      },
    });
    expect(unreadable.problems[0]!.message).toBe("/r/config.json: cannot be read: EACCES: permission denied");
    expect(unreadable.config.timeout).toBe(30_000);
  });

  test("a timeout above the maximum is a problem and is capped to the maximum", () => {
    const { config, problems } = validateConfig({
      env: { BRIDGE_ROOT: "/r", MCP_BRIDGE_TIMEOUT: "10m" },
      readFile: files({}),
    });
    expect(config.timeout).toBe(config.maxTimeout);
    expect(problems[0]!.message).toContain("exceeds MCP_BRIDGE_MAX_TIMEOUT");
  });
});
