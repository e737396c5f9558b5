/**
 * Keeping the secrets of a server entry out of everything bridge prints or returns: URLs with keys
 * (query values, user:password@, key-looking path segments of hosted endpoints such as
 * `https://mcp.example.com/s/<key>/mcp`), env and header values, and `--token=…` style arguments.
 * `discover` uses these unless `--show-secrets`; errors, logs and helper results always do.
 */
import type { ServerEntry } from "./types.ts";

export const MASK = "***";

const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** Path segments that look like credentials: long random-looking tokens, UUIDs, hex, or known key prefixes. */
export function looksLikeSecret(segment: string): boolean {
  let s: string;
  try {
    s = decodeURIComponent(segment);
  } catch {
    s = segment;
  }
  if (/^(sk|pk|rk|ak|api|key|tok|ghp|gho|ghs|github_pat|glpat|xox[abpr]|shpat|sq0|AKIA)[-_]/i.test(s) && s.length >= 12)
    return true;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)) return true;
  if (/^[0-9a-f]{24,}$/i.test(s)) return true;
  if (s.length < 20 || !/^[A-Za-z0-9_\-.~+=]+$/.test(s)) return false;
  // Long tokens mixing digits and letters (not words-with-dashes such as "model-context-protocol").
  const digits = (s.match(/[0-9]/g) ?? []).length;
  const letters = (s.match(/[A-Za-z]/g) ?? []).length;
  return digits >= 3 && letters >= 3 && !/^[a-z]+(-[a-z]+)+$/.test(s);
}

/**
 * The URL with credentials replaced by `***`: user and password, every query value, the fragment,
 * and path segments that look like keys. An unparsable URL becomes "(invalid url)".
 */
export function maskUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "(invalid url)";
  }
  const auth = u.username || u.password ? `${MASK}@` : "";
  const path = u.pathname
    .split("/")
    .map((seg) => (seg && looksLikeSecret(seg) ? MASK : seg))
    .join("/");
  const query = [...u.searchParams.keys()].map((k) => `${encodeURIComponent(k)}=${MASK}`).join("&");
  return `${u.protocol}//${auth}${u.host}${path}${query ? `?${query}` : ""}${u.hash ? `#${MASK}` : ""}`;
}

/** Only where the server is: scheme, host and port. What sandboxed code may see of a URL. */
export function urlOrigin(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname && u.pathname !== "/" ? "/…" : ""}`;
  } catch {
    return "(invalid url)";
  }
}

const SECRET_FLAG = /(key|token|secret|password|passwd|pwd|auth|authorization|credential|cookie|session|bearer|pat)$/i;
/** Any URL with a scheme (`postgresql://u:pw@…`, `redis://:pw@…`, `mongodb+srv://…`), not only http(s). */
const URL_ARG = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
/** A header given as an argument (`--header "Authorization: Bearer X"`, mcp-remote's form). */
const HEADER_ARG = /^([A-Za-z0-9_-]+)\s*:\s*(\S.*)$/s;
const HEADER_FLAG = /^(-H|--header|--headers)$/;
const secretName = (name: string) => SECRET_FLAG.test(name.replace(/^-+/, "").replace(/[-_.]/g, ""));

/** One argument value with its secret parts masked: a URL's credentials, a secret header's value, a key-looking token. */
function maskValue(value: string, afterHeaderFlag: boolean): string {
  if (URL_ARG.test(value)) return maskUrl(value);
  const header = HEADER_ARG.exec(value);
  if (header && (afterHeaderFlag || secretName(header[1]!))) return `${header[1]}: ${MASK}`;
  const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/s.exec(value); // docker's `-e API_KEY=…`
  if (assignment) return secretName(assignment[1]!) ? `${assignment[1]}=${MASK}` : value;
  return !value.startsWith("-") && looksLikeSecret(value) ? MASK : value;
}

/**
 * Command-line arguments with secrets masked: values of `--api-key=X` / `--token X` style flags,
 * credentials in URLs of any scheme, header arguments (`--header "Authorization: Bearer X"`), and
 * arguments that look like keys (`looksLikeSecret`).
 */
export function maskArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = /^(--?[A-Za-z0-9_.-]+)=(.*)$/s.exec(arg);
    if (eq) {
      out.push(`${eq[1]}=${secretName(eq[1]!) ? MASK : maskValue(eq[2]!, HEADER_FLAG.test(eq[1]!))}`);
      continue;
    }
    out.push(maskValue(arg, i > 0 && HEADER_FLAG.test(args[i - 1]!)));
    if (/^--?[A-Za-z0-9_.-]+$/.test(arg) && secretName(arg) && i + 1 < args.length && !args[i + 1]!.startsWith("-")) {
      out.push(MASK);
      i++;
    }
  }
  return out;
}

const maskRecord = (record: Record<string, string> | undefined) =>
  record && Object.fromEntries(Object.keys(record).map((k) => [k, MASK]));

/** The entry as `discover` prints it without `--show-secrets`. */
export function maskEntry<T extends Pick<ServerEntry, "env" | "headers" | "url" | "args">>(entry: T): T {
  return {
    ...entry,
    env: maskRecord(entry.env),
    headers: maskRecord(entry.headers),
    url: entry.url === undefined ? undefined : maskUrl(entry.url),
    args: entry.args === undefined ? undefined : maskArgs(entry.args),
  };
}

/** Every secret string an entry carries (env and header values, URL credentials and key-looking segments, secret arguments). */
export function secretsOf(entry: Pick<ServerEntry, "env" | "headers" | "url" | "args">): string[] {
  const found = new Set<string>();
  const add = (v: string | undefined) => {
    if (!v) return;
    if (v.length >= 6) found.add(v);
    // "Bearer abc…": the token alone may also appear in messages.
    const parts = v.split(/\s+/);
    if (parts.length > 1) for (const p of parts) if (p.length >= 8) found.add(p);
  };
  for (const v of Object.values(entry.env ?? {})) if (v.length >= 8 || (/[A-Za-z]/.test(v) && v.length >= 6)) add(v);
  for (const v of Object.values(entry.headers ?? {})) add(v);
  const urlParts = (url: string) => {
    try {
      const u = new URL(url);
      add(safeDecode(u.password));
      add(safeDecode(u.username));
      for (const v of u.searchParams.values()) add(v);
      for (const seg of u.pathname.split("/"))
        if (seg && looksLikeSecret(seg)) {
          add(seg);
          add(safeDecode(seg));
        }
      if (u.search || u.username || u.password || u.hash) add(url);
    } catch {
      add(url);
    }
  };
  if (entry.url) urlParts(entry.url);
  // A URL in an env value (DATABASE_URL=postgres://u:pw@…): its password may be echoed on its own.
  for (const v of Object.values(entry.env ?? {})) if (URL_ARG.test(v)) urlParts(v);
  const args = entry.args ?? [];
  const masked = maskArgs(args);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (masked[i] === a) continue;
    const value = /^-*[A-Za-z0-9_.-]+=/.test(a) ? a.slice(a.indexOf("=") + 1) : a;
    add(value);
    if (URL_ARG.test(value)) urlParts(value);
    const header = HEADER_ARG.exec(value);
    if (header) add(header[2]);
  }
  return [...found].sort((a, b) => b.length - a.length);
}

/** A function that replaces the entry's secrets (and its raw URL) in any text with their masked form. */
export function redactor(entry: Pick<ServerEntry, "env" | "headers" | "url" | "args">): (text: string) => string {
  const secrets = secretsOf(entry);
  const url = entry.url;
  const masked = url ? maskUrl(url) : undefined;
  return (text) => {
    let out = text;
    if (url && masked && url !== masked) out = out.split(url).join(masked);
    for (const s of secrets) out = out.split(s).join(MASK);
    return out;
  };
}
