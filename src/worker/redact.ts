/**
 * Secret redaction of what a job returns to the model (script stdout/stderr, Claude's result text
 * and messages, progress lines), done in the worker before anything is written to the queue, so
 * secrets never reach the (possibly shared) queue folder either.
 *
 * Sources, merged (overlaps become one redaction):
 *  - secretlint's recommended preset (@secretlint/secretlint-rule-preset-recommend): vendor token
 *    formats kept up to date upstream — Anthropic, OpenAI, GitHub, AWS (incl. access key ids),
 *    Slack tokens and webhooks, GCP, npm, GitLab, Hugging Face, private keys, basic-auth URLs, …
 *    Spans come from the secret value the rule reports (its `data`), falling back to its range:
 *    the AWS secret-key rule reports a range that starts at the variable name (13.1.0).
 *  - bridge's generic patterns below, for what a linter deliberately leaves out: bearer tokens,
 *    `password=`/`token=`/`api_key:` pairs, Claude OAuth/admin keys, OpenAI project keys of any
 *    length, and private-key blocks cut off by the output cap.
 *  - the user's patterns (`BRIDGE_REDACT_PATTERNS`): the whole match, or its first group.
 * Not caught: secrets without a recognisable shape or name (a bare random string), secrets split
 * across progress lines, or cut by the output cap before they are recognisable.
 */
import { lintSource } from "@secretlint/core";
import { creator as recommended } from "@secretlint/secretlint-rule-preset-recommend";

export interface Redacted {
  text: string;
  /** Kinds found, one entry per redaction (e.g. "github", "password"). */
  found: string[];
}

/** bridge's own patterns: [kind, regex, group holding the secret (0: whole match)]. */
export const GENERIC_PATTERNS: Array<[string, RegExp, number]> = [
  ["bearer", /\b(?:Bearer|Token)\s+([A-Za-z0-9\-._~+/]{16,}=*)/gi, 1],
  [
    "password",
    /(?<![A-Za-z0-9])(?:[A-Za-z0-9_.-]*[_.-])?(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret)(?![A-Za-z0-9])["']?\s*[:=]\s*["']?([^\s"'`,;&<>]{3,})/gi,
    1,
  ],
  ["anthropic", /\bsk-ant-[a-z]{2,8}\d{2}-[A-Za-z0-9_-]{20,}/g, 0],
  ["openai", /\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}/g, 0],
  [
    "private_key",
    /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g,
    0,
  ],
];

const SECRETLINT_RULES = [
  {
    id: "@secretlint/secretlint-rule-preset-recommend",
    rule: recommended,
    rules: [{ id: "@secretlint/secretlint-rule-aws", options: { enableIDScanRule: true } }],
  },
];

type Span = [start: number, end: number, kind: string];

function regexSpans(text: string, kind: string, re: RegExp, group: number, out: Span[]): void {
  const g = re.global ? re : new RegExp(re.source, `${re.flags}g`);
  for (const m of text.matchAll(g)) {
    const value = m[group] ?? m[0];
    if (!value) continue;
    const start = (m.index ?? 0) + m[0].indexOf(value);
    out.push([start, start + value.length, kind]);
  }
}

async function secretlintSpans(text: string, out: Span[]): Promise<void> {
  const result = await lintSource({
    source: { content: text, filePath: "/output.txt", contentType: "text" },
    options: { config: { rules: SECRETLINT_RULES } },
  });
  for (const m of result.messages) {
    const kind = m.ruleId.replace(/^@secretlint\/secretlint-rule-/, "");
    const values = Object.values(m.data ?? {}).filter(
      (v): v is string => typeof v === "string" && v.length >= 8 && text.includes(v),
    );
    if (values.length) {
      for (const v of values)
        for (let i = text.indexOf(v); i >= 0; i = text.indexOf(v, i + v.length)) out.push([i, i + v.length, kind]);
    } else if (m.range) out.push([m.range[0], m.range[1], kind]);
  }
}

/** Compiles the user's patterns; throws with the offending one. */
export function compilePatterns(patterns: readonly string[]): RegExp[] {
  return patterns.map((p) => {
    try {
      return new RegExp(p, "g");
    } catch (err) {
      throw new Error(
        `redaction pattern ${JSON.stringify(p)} is not a valid regular expression: ${(err as Error).message}`,
      );
    }
  });
}

/** Redacts `text`; each secret becomes `[REDACTED:<kind>]`. */
export async function redact(text: string, user: readonly RegExp[] = []): Promise<Redacted> {
  if (!text) return { text, found: [] };
  const spans: Span[] = [];
  await secretlintSpans(text, spans);
  for (const [kind, re, group] of GENERIC_PATTERNS) regexSpans(text, kind, re, group, spans);
  for (const re of user) regexSpans(text, "pattern", re, 1, spans);
  if (!spans.length) return { text, found: [] };
  // Stable: at equal starts secretlint's (vendor-specific) kind, found first, names the merged span.
  spans.sort((a, b) => a[0] - b[0]);
  const merged: Span[] = [];
  for (const s of spans) {
    const last = merged.at(-1);
    if (last && s[0] < last[1]) last[1] = Math.max(last[1], s[1]);
    else if (s[1] > s[0]) merged.push([...s]);
  }
  let out = "";
  let at = 0;
  for (const [start, end, kind] of merged) {
    out += `${text.slice(at, start)}[REDACTED:${kind}]`;
    at = end;
  }
  return { text: out + text.slice(at), found: merged.map((s) => s[2]) };
}

/**
 * Runs one redaction of a short text, so the first job does not pay for the first use of
 * secretlint's rules (about 90 ms on a 2-core VM, against ~0.2 ms later). Never rejects.
 */
export function warmUpRedaction(): Promise<void> {
  return redact("warm-up: token=0123456789").then(
    () => {},
    () => {},
  );
}

/**
 * A redactor for one job: collects what it found across fields, for the note in the result.
 * `prepare(s)` starts redacting a text that `text(s)` will be asked for later (Claude's result
 * while the CLI shuts down), so the job's end does not wait for it; it counts once, in `text`.
 */
export function jobRedactor(enabled: boolean, patterns: readonly string[]) {
  const user = enabled ? compilePatterns(patterns) : [];
  const found: string[] = [];
  const prepared = new Map<string, Promise<Redacted>>();
  return {
    prepare(s: string): void {
      if (!enabled || prepared.has(s)) return;
      const p = redact(s, user);
      p.catch(() => {}); // text() awaits it and sees the error
      prepared.set(s, p);
    },
    async text(s: string): Promise<string> {
      if (!enabled) return s;
      const early = prepared.get(s);
      prepared.delete(s);
      const r = await (early ?? redact(s, user));
      found.push(...r.found);
      return r.text;
    },
    /** `{ count, kinds }` for the outcome, or undefined when nothing was redacted. */
    summary(): { count: number; kinds: string[] } | undefined {
      return found.length ? { count: found.length, kinds: [...new Set(found)].sort() } : undefined;
    },
  };
}
