/** Secret redaction: one case per pattern family (secretlint's and bridge's), user patterns, and text that must stay. */
import { describe, expect, test } from "bun:test";
import { compilePatterns, jobRedactor, redact } from "../../../src/worker/redact.ts";

// Built from pieces so the repository itself holds no secret-shaped strings.
const r = (n: number, c = "a") => c.repeat(n);
const CASES: Array<[string, string, string, string]> = [
  // [name, text, secret that must vanish, kind expected]
  ["Anthropic API key", `key: sk-ant-api03-${r(93, "Q")}AA`, `sk-ant-api03-${r(93, "Q")}AA`, "anthropic"],
  [
    "Claude OAuth token",
    `CLAUDE_CODE_OAUTH_TOKEN sk-ant-oat01-${r(40, "Z")}`,
    `sk-ant-oat01-${r(40, "Z")}`,
    "anthropic",
  ],
  [
    "OpenAI legacy key",
    `use sk-${r(20, "A")}T3BlbkFJ${r(20, "B")} now`,
    `sk-${r(20, "A")}T3BlbkFJ${r(20, "B")}`,
    "openai",
  ],
  ["OpenAI project key", `OPENAI sk-proj-${r(40, "c")}`, `sk-proj-${r(40, "c")}`, "openai"],
  ["GitHub PAT (classic)", `ghp_${r(36, "k")}`, `ghp_${r(36, "k")}`, "github"],
  [
    "GitHub fine-grained PAT",
    `github_pat_11${r(20, "A")}_${r(59, "b")}`,
    `github_pat_11${r(20, "A")}_${r(59, "b")}`,
    "github",
  ],
  ["AWS access key id", `id AKIA${"QWERTYUIOPASDFGH"}`, `AKIA${"QWERTYUIOPASDFGH"}`, "aws"],
  [
    "AWS secret access key",
    `aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCY${r(10, "z")}`,
    `wJalrXUtnFEMI/K7MDENG/bPxRfiCY${r(10, "z")}`,
    "aws",
  ],
  [
    "Slack bot token",
    `xoxb-123456789012-1234567890123-${r(24, "s")}`,
    `xoxb-123456789012-1234567890123-${r(24, "s")}`,
    "slack",
  ],
  [
    "Slack webhook",
    `https://hooks.slack.com/services/T00000000/B00000000/${r(24, "X")}`,
    `T00000000/B00000000/${r(24, "X")}`,
    "slack",
  ],
  ["bearer token", `Authorization: Bearer ${r(30, "t")}.x`, `${r(30, "t")}.x`, "bearer"],
  ["password= pair", "login password=hunter2secret ok", "hunter2secret", "password"],
  ["token: pair (JSON)", `{"api_token": "abc123def456"}`, "abc123def456", "password"],
  ["env var pair", `DB_PASSWORD='s3cr3t-value'`, "s3cr3t-value", "password"],
  [
    "private key block",
    `-----BEGIN RSA PRIVATE KEY-----\n${r(64, "M")}\n${r(64, "N")}\n-----END RSA PRIVATE KEY-----`,
    r(64, "M"),
    "privatekey|private_key",
  ],
  [
    "private key cut by the output cap",
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${r(50, "b")}`,
    r(50, "b"),
    "private_key",
  ],
  ["basic-auth URL", "https://user:passw0rd@example.com/x", "passw0rd", "basicauth"],
];

describe("each pattern", () => {
  for (const [name, text, secret, kind] of CASES) {
    test(name, async () => {
      const out = await redact(text);
      expect(out.text).not.toContain(secret);
      expect(out.text).toContain("[REDACTED:");
      expect(out.found.some((k) => kind.split("|").includes(k))).toBe(true);
    });
  }
});

describe("what stays", () => {
  test("ordinary text, token counts and placeholders are untouched", async () => {
    for (const text of [
      "max_tokens: 1000",
      "num_tokens=5",
      "The password policy requires 12 characters.",
      "hello world",
      "tokens: 42, secrets: none",
      "",
    ]) {
      const out = await redact(text);
      expect(out).toEqual({ text, found: [] });
    }
  });
  test("text around a secret is kept", async () => {
    const out = await redact(`before ghp_${r(36, "k")} after`);
    expect(out.text).toBe("before [REDACTED:github] after");
  });
});

describe("user patterns and the job redactor", () => {
  test("a user pattern redacts its first group (or the whole match) and is counted", async () => {
    const out = await redact(
      "ticket ACME-SECRET-12345 and internal id=xyz-777",
      compilePatterns(["ACME-SECRET-\\d+", "internal id=(\\S+)"]),
    );
    expect(out.text).toBe("ticket [REDACTED:pattern] and internal id=[REDACTED:pattern]");
  });
  test("an invalid user pattern is refused with its text", () => {
    expect(() => compilePatterns(["(unclosed"])).toThrow('"(unclosed"');
  });
  test("the job redactor sums up kinds across fields; disabled, it changes nothing", async () => {
    const j = jobRedactor(true, []);
    await j.text(`ghp_${r(36, "k")}`);
    await j.text("password=abcdef");
    expect(j.summary()).toEqual({ count: 2, kinds: ["github", "password"] });
    // A text prepared early (Claude's result while the CLI exits) gives the same answer and counts once.
    const early = jobRedactor(true, []);
    early.prepare(`ghp_${r(36, "k")} done`);
    expect(await early.text(`ghp_${r(36, "k")} done`)).toBe("[REDACTED:github] done");
    expect(early.summary()).toEqual({ count: 1, kinds: ["github"] });
    const off = jobRedactor(false, []);
    expect(await off.text("password=abcdef")).toBe("password=abcdef");
    expect(off.summary()).toBeUndefined();
  });
});
