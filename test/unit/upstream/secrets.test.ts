import { describe, expect, test } from "bun:test";
import { looksLikeSecret, maskArgs, maskUrl, redactor, secretsOf, urlOrigin } from "../../../src/upstream/secrets.ts";

describe("maskUrl: keys in query, userinfo and the path of hosted endpoints", () => {
  test.each([
    ["https://mcp.example.com/mcp?apiKey=abc123&x=1", "https://mcp.example.com/mcp?apiKey=***&x=***"],
    ["https://user:pw@host:8443/mcp", "https://***@host:8443/mcp"],
    [
      "https://mcp.zapier.com/api/mcp/s/NmYzZTI1ZjQtOGIzYy00ZDk1LWE0MWItYzIzZTc1Zjg5MGE2/mcp",
      "https://mcp.zapier.com/api/mcp/s/***/mcp",
    ],
    ["https://actions.zapier.com/mcp/sk-ak-Xy12Zw34Qr56Ab78/sse", "https://actions.zapier.com/mcp/***/sse"],
    [
      "https://mcp.composio.dev/partner/composio/github/4f1c2d3e-0a1b-4c2d-8e9f-0123456789ab",
      "https://mcp.composio.dev/partner/composio/github/***",
    ],
    ["https://api.githubcopilot.com/mcp/", "https://api.githubcopilot.com/mcp/"],
    ["http://127.0.0.1:3000/sse#frag", "http://127.0.0.1:3000/sse#***"],
    [
      "https://mcp.example.com/model-context-protocol-server/v1",
      "https://mcp.example.com/model-context-protocol-server/v1",
    ],
  ])("%s", (url, masked) => {
    expect(maskUrl(url)).toBe(masked);
  });

  test("an unparsable URL is not echoed", () => {
    expect(maskUrl("not a url with sk-secret")).toBe("(invalid url)");
  });

  test("sandboxed code sees only the origin", () => {
    expect(urlOrigin("https://u:p@mcp.example.com:8443/s/key/mcp?k=v")).toBe("https://mcp.example.com:8443/…");
    expect(urlOrigin("http://127.0.0.1:9/")).toBe("http://127.0.0.1:9");
  });

  test("looksLikeSecret: tokens yes, words and versions no", () => {
    for (const s of [
      "ghp_abcdefghijklmnopqrstuvwxyz0123",
      "a1b2c3d4e5f6a7b8c9d0e1f2",
      "4f1c2d3e-0a1b-4c2d-8e9f-0123456789ab",
      "xoxb-123456789012-abcdefABCDEF",
    ])
      expect(looksLikeSecret(s)).toBe(true);
    for (const s of ["mcp", "v1", "sse", "model-context-protocol", "2024-11-05", "github"])
      expect(looksLikeSecret(s)).toBe(false);
  });
});

test("maskArgs: values of secret-looking flags, and URLs", () => {
  expect(
    maskArgs(["--api-key=abc", "--token", "t0k", "--port", "80", "-y", "https://x/mcp?key=1", "--auth-token=zz"]),
  ).toEqual(["--api-key=***", "--token", "***", "--port", "80", "-y", "https://x/mcp?key=***", "--auth-token=***"]);
});

describe("redactor: secrets never survive in messages", () => {
  const entry = {
    url: "https://user:hunter22@mcp.example.com/s/4f1c2d3e-0a1b-4c2d-8e9f-0123456789ab/mcp?apiKey=qwertyuiop",
    headers: { Authorization: "Bearer abcdefgh12345678" },
    env: { GITHUB_TOKEN: "ghp_1234567890abcdef", DEBUG: "1" },
    args: ["--token", "argsecret99"],
  };

  test("the raw URL, its parts, header values (and the bare token), env values and secret args are replaced", () => {
    const r = redactor(entry);
    const text = `fetch ${entry.url} failed; header Bearer abcdefgh12345678 (abcdefgh12345678); env ghp_1234567890abcdef; arg argsecret99; key qwertyuiop; pw hunter22`;
    const out = r(text);
    for (const s of ["hunter22", "4f1c2d3e", "qwertyuiop", "abcdefgh12345678", "ghp_1234567890abcdef", "argsecret99"])
      expect(out).not.toContain(s);
    expect(out).toContain("https://***@mcp.example.com/s/***/mcp?apiKey=***");
  });

  test("short, common values are not treated as secrets (messages stay readable)", () => {
    expect(secretsOf(entry)).not.toContain("1");
    expect(redactor({ env: { LEVEL: "debug" } })("level debug")).toBe("level debug");
  });
});
