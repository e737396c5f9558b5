import { describe, expect, test } from "bun:test";
import { SCHEMA_URL, renderServerJson, serverJsonProblems } from "../../../scripts/release/registry.ts";
import schema from "../../../scripts/release/server.schema.json" with { type: "json" };

const doc = renderServerJson({
  version: "1.2.3",
  baseUrl: "https://github.com/bridge-mcp/bridge/releases/download/v1.2.3",
  bundles: [
    { file: "bridge-darwin-arm64.mcpb", sha256: "a".repeat(64) },
    { file: "bridge-linux-x64.mcpb", sha256: "b".repeat(64) },
  ],
}) as any;

describe("server.json for the MCP Registry", () => {
  test("the vendored schema is the published version server.json declares", () => {
    expect(schema.$id).toBe(SCHEMA_URL);
    expect(doc.$schema).toBe(SCHEMA_URL);
  });

  test("one mcpb package per bundle, with its URL and SHA-256, valid against the schema", () => {
    expect(serverJsonProblems(doc)).toEqual([]);
    expect(doc.packages.map((p: any) => [p.registryType, p.identifier, p.fileSha256])).toEqual([
      [
        "mcpb",
        "https://github.com/bridge-mcp/bridge/releases/download/v1.2.3/bridge-darwin-arm64.mcpb",
        "a".repeat(64),
      ],
      ["mcpb", "https://github.com/bridge-mcp/bridge/releases/download/v1.2.3/bridge-linux-x64.mcpb", "b".repeat(64)],
    ]);
    expect(doc.packages[0].transport).toEqual({ type: "stdio" });
    const env = Object.fromEntries(doc.packages[0].environmentVariables.map((v: any) => [v.name, v.default]));
    expect(env.MCP_BRIDGE_IMAGE).toBe("python:3.14-slim");
    expect("BRIDGE_ROOT" in env).toBe(true);
    expect(env.BRIDGE_ROOT).toBeUndefined(); // no ${HOME} a client would pass literally
  });

  const breakages: Array<[string, (d: any) => void, string]> = [
    [
      "a description over 100 characters",
      (d) => {
        d.description = "x".repeat(101);
      },
      "/description",
    ],
    [
      "a name without a namespace",
      (d) => {
        d.name = "bridge";
      },
      "/name",
    ],
    [
      "a bad SHA-256",
      (d) => {
        d.packages[0].fileSha256 = "XYZ";
      },
      "/packages/0/fileSha256",
    ],
    [
      "a package version 'latest'",
      (d) => {
        d.packages[0].version = "latest";
      },
      "/packages/0/version",
    ],
    [
      "no SHA-256 on an mcpb package",
      (d) => {
        delete d.packages[0].fileSha256;
      },
      "needs fileSha256",
    ],
    [
      "an mcpb URL without 'mcp' in it",
      (d) => {
        d.packages[0].identifier = "https://example.test/b.zip";
      },
      'must contain "mcp"',
    ],
  ];
  test.each(breakages)("rejects %s", (_, mutate, problem) => {
    const broken = structuredClone(doc);
    mutate(broken);
    expect(serverJsonProblems(broken).join("\n")).toContain(problem);
  });
});
