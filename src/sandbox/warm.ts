/**
 * Warm imports (MCP_BRIDGE_WARM_IMPORTS): modules the in-sandbox supervisor imports once per
 * container, before it forks the interpreter (kernel) of each call, so `import pandas` in a call
 * costs nothing. Safe because the supervisor never runs user code: every kernel is a fresh fork
 * of the same pristine process, its pages shared copy-on-write, so whatever a call changes in a
 * module (`numpy.foo = 1`, a monkeypatched `DataFrame.sum`, matplotlib's rcParams) lives in that
 * call's memory only and the next call's fork never sees it (docs/sandbox.md).
 */

/** What `auto` stands for: the data-science modules, each skipped quietly when the image lacks it. */
export const AUTO_WARM_IMPORTS = ["numpy", "pandas", "matplotlib.pyplot"] as const;

/** The supervisor's import list: `auto` expanded (optional modules), explicit names required. */
export function warmSpec(list: readonly string[]): { modules: string[]; optional: string[] } {
  const modules: string[] = [];
  const optional: string[] = [];
  for (const name of list) {
    const names = name === "auto" ? AUTO_WARM_IMPORTS : [name];
    for (const n of names) {
      if (!modules.includes(n)) modules.push(n);
      if (name === "auto" && !optional.includes(n)) optional.push(n);
    }
  }
  return { modules, optional: optional.filter((n) => !list.includes(n)) };
}
