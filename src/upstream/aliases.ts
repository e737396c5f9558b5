/**
 * Python names for MCP servers and tools: `mcp_<alias>` globals and proxy attributes. Names are made
 * valid identifiers; collisions are resolved deterministically (sorted by original name, later ones
 * get `_2`, `_3` …) so the same config always yields the same aliases.
 */

const PYTHON_KEYWORDS = new Set([
  "False",
  "None",
  "True",
  "and",
  "as",
  "assert",
  "async",
  "await",
  "break",
  "class",
  "continue",
  "def",
  "del",
  "elif",
  "else",
  "except",
  "finally",
  "for",
  "from",
  "global",
  "if",
  "import",
  "in",
  "is",
  "lambda",
  "nonlocal",
  "not",
  "or",
  "pass",
  "raise",
  "return",
  "try",
  "while",
  "with",
  "yield",
  "match",
  "case",
  "type",
]);

/** Turns any string into a valid (ASCII) Python identifier; `lower` folds case (for server aliases). */
export function pythonIdentifier(name: string, opts: { lower?: boolean; fallback?: string } = {}): string {
  let id = (opts.lower ? name.toLowerCase() : name)
    .normalize("NFKD")
    .replace(/[^A-Za-z0-9_]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (!id) id = opts.fallback ?? "x";
  if (/^[0-9]/.test(id)) id = `_${id}`;
  if (PYTHON_KEYWORDS.has(id)) id = `${id}_`;
  return id;
}

/**
 * Assigns a unique identifier to each name. Processing order is the sorted original names, so the
 * result does not depend on config order. `reserved` identifiers are never handed out.
 */
export function assignIdentifiers(
  names: readonly string[],
  opts: { lower?: boolean; fallback?: string; reserved?: Iterable<string> } = {},
): Map<string, string> {
  const taken = new Set(opts.reserved ?? []);
  const out = new Map<string, string>();
  const sorted = [...new Set(names)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // First pass: names whose identifier is exactly themselves keep it (a server literally called `x_2`).
  for (const name of sorted) {
    const base = pythonIdentifier(name, opts);
    if (base === name && !taken.has(base)) {
      taken.add(base);
      out.set(name, base);
    }
  }
  for (const name of sorted) {
    if (out.has(name)) continue;
    const base = pythonIdentifier(name, opts);
    let candidate = base;
    for (let n = 2; taken.has(candidate); n++) candidate = `${base}_${n}`;
    taken.add(candidate);
    out.set(name, candidate);
  }
  return out;
}

/** Server name → alias used in `mcp_<alias>` and `mcp.servers.<alias>`. */
export function serverAliases(names: readonly string[]): Map<string, string> {
  return assignIdentifiers(names, { lower: true, fallback: "server" });
}

/** Tool name → Python attribute name on a server proxy (case kept). */
export function toolAttributeNames(names: readonly string[]): Map<string, string> {
  return assignIdentifiers(names, { fallback: "tool" });
}
