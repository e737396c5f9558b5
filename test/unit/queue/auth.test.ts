import { describe, expect, test } from "bun:test";
import { MAX_FUTURE_SKEW_MS, signJob, signedPayload, verifyJob } from "../../../src/queue/auth.ts";
import { canonicalJson } from "../../../src/queue/canonical.ts";
import { kindOfId, newJobId, newNonce, timeOfId } from "../../../src/queue/ids.ts";
import type { Job } from "../../../src/queue/types.ts";

const SECRET = "a".repeat(64);
const NOW = Date.parse("2026-11-23T01:00:00.000Z");
const HOUR = 3_600_000;
const job = (over: Partial<Job<"script">> = {}): Job<"script"> => ({
  id: newJobId("script", NOW),
  kind: "script",
  createdAt: new Date(NOW).toISOString(),
  nonce: newNonce(),
  body: { name: "x", args: ["--help", "a b"] },
  ...over,
});

describe("canonicalJson", () => {
  test("sorts keys at every level and drops undefined members", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });
  test("key order does not change the text", () => {
    expect(canonicalJson({ x: 1, y: "2" })).toBe(canonicalJson({ y: "2", x: 1 }));
  });
  test("escapes strings as JSON does", () => {
    expect(canonicalJson({ "k\n": '\u2028"\\' })).toBe(JSON.stringify({ "k\n": '\u2028"\\' }));
  });
  test("rejects values JSON cannot carry", () => {
    expect(() => canonicalJson(NaN)).toThrow();
    expect(() => canonicalJson({ f: () => 1 })).toThrow();
    expect(() => canonicalJson(new Date())).toThrow();
    expect(() => canonicalJson(1n)).toThrow();
  });
});

describe("job ids", () => {
  test("carry kind and time, sort by time", () => {
    const a = newJobId("claude", NOW);
    const b = newJobId("script", NOW + 1);
    expect(kindOfId(a)).toBe("claude");
    expect(kindOfId(b)).toBe("script");
    expect(timeOfId(a)).toBe(NOW);
    expect(a.slice(2) < b.slice(2)).toBe(true);
    expect(kindOfId("../etc/passwd")).toBeUndefined();
  });
});

describe("sign and verify", () => {
  test("a signed job verifies; the secret is not in the file", () => {
    const signed = signJob(job(), SECRET);
    expect(JSON.stringify(signed)).not.toContain(SECRET);
    const v = verifyJob(JSON.parse(JSON.stringify(signed)), SECRET, NOW, 24 * HOUR);
    expect(v.ok).toBe(true);
  });
  test("the signature covers id, kind, createdAt, nonce and body", () => {
    const signed = signJob(job(), SECRET);
    for (const change of [
      { id: newJobId("script", NOW) },
      { createdAt: new Date(NOW - 1000).toISOString() },
      { nonce: newNonce() },
      { body: { name: "x", args: ["--help", "a  b"] } },
      { body: { name: "y", args: ["--help", "a b"] } },
    ]) {
      const v = verifyJob({ ...signed, ...change }, SECRET, NOW, 24 * HOUR);
      expect(v.ok ? "ok" : v.reason).toBe("forged");
    }
  });
  test("body key order does not matter (canonical JSON)", () => {
    const j = job();
    const signed = signJob(j, SECRET);
    const reordered = { ...signed, body: { args: j.body.args, name: j.body.name } };
    expect(verifyJob(reordered, SECRET, NOW, 24 * HOUR).ok).toBe(true);
    expect(signedPayload(j)).toContain('"body":{"args"');
  });
  test("unsigned, wrong key, malformed signature", () => {
    const { sig: _s, ...unsigned } = signJob(job(), SECRET);
    expect(verifyJob(unsigned, SECRET, NOW, HOUR)).toMatchObject({ ok: false, reason: "unsigned" });
    expect(verifyJob(signJob(job(), "b".repeat(64)), SECRET, NOW, HOUR)).toMatchObject({ ok: false, reason: "forged" });
    expect(verifyJob({ ...signJob(job(), SECRET), sig: "zz" }, SECRET, NOW, HOUR)).toMatchObject({
      ok: false,
      reason: "forged",
    });
    expect(verifyJob({ ...signJob(job(), SECRET), sig: "00".repeat(33) }, SECRET, NOW, HOUR)).toMatchObject({
      ok: false,
      reason: "forged",
    });
  });
  test("expired and future timestamps", () => {
    const old = signJob(job({ createdAt: new Date(NOW - 2 * HOUR).toISOString() }), SECRET);
    expect(verifyJob(old, SECRET, NOW, HOUR)).toMatchObject({ ok: false, reason: "expired" });
    expect(verifyJob(old, SECRET, NOW, 3 * HOUR).ok).toBe(true);
    const ahead = signJob(job({ createdAt: new Date(NOW + MAX_FUTURE_SKEW_MS + 1000).toISOString() }), SECRET);
    expect(verifyJob(ahead, SECRET, NOW, HOUR)).toMatchObject({ ok: false, reason: "future" });
    const slightlyAhead = signJob(job({ createdAt: new Date(NOW + 1000).toISOString() }), SECRET);
    expect(verifyJob(slightlyAhead, SECRET, NOW, HOUR).ok).toBe(true);
  });
  test("malformed envelopes and bodies", () => {
    expect(verifyJob(null, SECRET, NOW, HOUR)).toMatchObject({ ok: false, reason: "malformed" });
    expect(verifyJob({ ...signJob(job(), SECRET), extra: 1 }, SECRET, NOW, HOUR)).toMatchObject({
      ok: false,
      reason: "malformed",
    });
    expect(verifyJob({ ...signJob(job(), SECRET), kind: "claude" }, SECRET, NOW, HOUR)).toMatchObject({
      ok: false,
      reason: "malformed",
    });
    const badBody = signJob({ ...job(), body: { name: "x", args: "not-an-array" } as never }, SECRET);
    expect(verifyJob(badBody, SECRET, NOW, HOUR)).toMatchObject({ ok: false, reason: "malformed" });
    const claude = signJob(
      {
        id: newJobId("claude", NOW),
        kind: "claude",
        createdAt: new Date(NOW).toISOString(),
        nonce: newNonce(),
        body: { request: "hi", permission_mode: "yolo" as never },
      },
      SECRET,
    );
    expect(verifyJob(claude, SECRET, NOW, HOUR)).toMatchObject({ ok: false, reason: "malformed" });
  });
});
