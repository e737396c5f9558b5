/**
 * How a server URL appears in anything bridge shows (errors, logs, helper results): without
 * credentials, query or fragment, which often carry tokens. The one place to change if discovery
 * gains a stricter masker.
 */

/** A URL without credentials, query or fragment; "(invalid url)" when it does not parse. */
export function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(invalid url)";
  }
}
