/**
 * `bun run build:all`'s per-platform outputs, built for this machine: the MCP Bundle unpacks (with
 * the official `mcpb` CLI) to a manifest that CLI validates and a binary that answers `tools/list`
 * when started the way the manifest says; server.json is valid against the MCP Registry schema and
 * names the bundle's real SHA-256; every archive ships LICENSE and the third-party notices.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { mcpb } from "../../scripts/release/mcpb.ts";
import { serverJsonProblems } from "../../scripts/release/registry.ts";
import { tempDir } from "../support/bridge.ts";

const repo = resolve(import.meta.dir, "../..");
const platform = `${process.platform}-${process.arch}`;
const release = tempDir("bridge-release-");
const work = tempDir("bridge-bundle-");
afterAll(() => {
  release.cleanup();
  work.cleanup();
});
const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

let buildLog = "";
beforeAll(() => {
  const r = Bun.spawnSync(["bun", "scripts/release.ts", platform], {
    cwd: repo,
    env: { ...process.env, BRIDGE_RELEASE_OUT: release.path },
    stderr: "pipe",
  });
  buildLog = r.stderr.toString();
  if (r.exitCode !== 0) throw new Error(`release build failed: ${buildLog}`);
}, 240_000);

describe(`release outputs for ${platform}`, () => {
  test("the .mcpb unpacks to a manifest the mcpb CLI validates, and its binary answers tools/list as the manifest starts it", async () => {
    const dir = join(work.path, "unpacked");
    mcpb(["unpack", join(release.path, `bridge-${platform}.mcpb`), dir]);
    expect(mcpb(["validate", join(dir, "manifest.json")])).toContain("passes");
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    expect(manifest.server.type).toBe("binary");
    expect(manifest.license).toBe("MIT");
    expect(statSync(join(dir, manifest.server.entry_point)).mode & 0o111).not.toBe(0); // still executable
    expect(readFileSync(join(dir, "LICENSE"), "utf8")).toBe(readFileSync(join(repo, "LICENSE"), "utf8"));

    // Start it as Claude Desktop would: ${__dirname} and each ${user_config.*} (its default) substituted.
    const home = join(work.path, "home");
    const defaults = Object.fromEntries(
      Object.entries(manifest.user_config as Record<string, { default: string }>).map(([k, v]) => [k, v.default]),
    );
    const substitute = (s: string) =>
      s
        .replace("${__dirname}", dir)
        .replace("${HOME}", home)
        .replace(/\$\{user_config\.(\w+)\}/g, (_, k) => String(defaults[k]).replace("${HOME}", home));
    const { command, args, env } = manifest.server.mcp_config;
    const transport = new StdioClientTransport({
      command: substitute(command),
      args: args.map(substitute),
      stderr: "pipe",
      env: {
        PATH: process.env.PATH!,
        HOME: home,
        MCP_BRIDGE_POOL_SIZE: "0",
        ...Object.fromEntries(Object.entries(env as Record<string, string>).map(([k, v]) => [k, substitute(v)])),
      },
    });
    let stderr = "";
    transport.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const client = new Client({ name: "bundle-test", version: "1" });
    try {
      await client.connect(transport);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(manifest.tools.map((t: { name: string }) => t.name));
      expect(tools.map((t) => t.name)).toContain("run_python");
    } catch (err) {
      throw new Error(`${(err as Error).message}\nstderr: ${stderr}`);
    } finally {
      await client.close();
    }
  }, 120_000);

  test("server.json is valid against the MCP Registry schema and names the bundle with its SHA-256", () => {
    const doc = JSON.parse(readFileSync(join(release.path, "server.json"), "utf8"));
    expect(serverJsonProblems(doc)).toEqual([]);
    const bundle = `bridge-${platform}.mcpb`;
    const pkg = doc.packages.find((p: { identifier: string }) => p.identifier.endsWith(`/${bundle}`));
    expect(pkg.registryType).toBe("mcpb");
    expect(pkg.fileSha256).toBe(sha256(join(release.path, bundle)));
    expect(readFileSync(join(release.path, "SHA256SUMS"), "utf8")).toContain(`${pkg.fileSha256}  ${bundle}`);
  });

  test.skipIf(process.arch !== "x64")("x64 builds use Bun's baseline runtime (no AVX2 needed)", () => {
    expect(buildLog).toContain(`compiled ${platform} (bun-${platform}-baseline)`);
  });

  test("the archive ships the binary with LICENSE and the third-party notices of what it bundles", () => {
    const list = Bun.spawnSync(["tar", "-tzf", join(release.path, `bridge-${platform}.tar.gz`)], { stdout: "pipe" })
      .stdout.toString()
      .split("\n")
      .filter(Boolean);
    expect(list.sort()).toEqual(["LICENSE", "THIRD_PARTY_NOTICES.md", "bridge"]);
    const x = join(work.path, "archive");
    Bun.spawnSync(["mkdir", "-p", x]);
    Bun.spawnSync(["tar", "-xzf", join(release.path, `bridge-${platform}.tar.gz`), "-C", x]);
    const notices = readFileSync(join(x, "THIRD_PARTY_NOTICES.md"), "utf8");
    for (const pkg of ["@modelcontextprotocol/sdk", "zod", "citty", "jsonc-parser", "smol-toml"])
      expect(notices).toContain(`- ${pkg} `);
    expect(notices).toContain("JavaScriptCore");
    expect(notices).toContain("Permission is hereby granted"); // the license texts themselves
  });
});
