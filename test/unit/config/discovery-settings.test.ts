import { expect, test } from "bun:test";
import { loadConfig } from "../../../src/config/index.ts";

const load = (env: Record<string, string>, file?: object) =>
  loadConfig({ env: { BRIDGE_ROOT: "/r", ...env }, readFile: () => (file ? JSON.stringify(file) : undefined) });

test("MCP_BRIDGE_ENGINE (and the former MCP_BRIDGE_RUNTIME) accept an absolute path to the engine's CLI, not a relative one", () => {
  expect(load({ MCP_BRIDGE_ENGINE: "/opt/homebrew/bin/podman" }).engine).toBe("/opt/homebrew/bin/podman");
  expect(load({ MCP_BRIDGE_RUNTIME: "/usr/local/bin/docker" }).engine).toBe("/usr/local/bin/docker");
  expect(() => load({ MCP_BRIDGE_ENGINE: "bin/podman" })).toThrow("absolute path");
});

test("MCP_SERVERS_CONFIG and MCP_BRIDGE_TRUSTED_PROJECTS are lists: separated like PATH, or arrays in config.json", () => {
  const sep = process.platform === "win32" ? ";" : ":";
  const c = load({
    MCP_SERVERS_CONFIG: `/a.json${sep}/b.toml`,
    MCP_BRIDGE_TRUSTED_PROJECTS: `/work/app${sep} /work/lib/** `,
  });
  expect(c.serversConfig).toEqual(["/a.json", "/b.toml"]);
  expect(c.trustedProjects).toEqual(["/work/app", "/work/lib/**"]);
  expect(load({}, { serversConfig: ["/x.json"], trustedProjects: ["/p"] })).toMatchObject({
    serversConfig: ["/x.json"],
    trustedProjects: ["/p"],
  });
  expect(load({})).toMatchObject({ serversConfig: [], trustedProjects: [] });
});
