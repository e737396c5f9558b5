/**
 * Strict flag checking for citty commands: citty accepts any flag silently, but a typo in a
 * security-relevant flag (`--allow-rot`) must fail loudly. Returns a problem message or undefined.
 */
import type { ArgsDef } from "citty";

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Checks `rawArgs` against a command's declared args. */
export function findArgProblem(rawArgs: string[], argsDef: ArgsDef): string | undefined {
  const byName = new Map<string, { type?: string }>();
  let positionals = 0;
  for (const [key, def] of Object.entries(argsDef)) {
    if (def.type === "positional") {
      positionals++;
      continue;
    }
    byName.set(camel(key), def);
    const aliases = "alias" in def && def.alias ? (Array.isArray(def.alias) ? def.alias : [def.alias]) : [];
    for (const a of aliases) byName.set(a.length === 1 ? a : camel(a), def);
  }
  let seenPositionals = 0;
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") break;
    if (arg === "-" || !arg.startsWith("-")) {
      if (++seenPositionals > positionals) return `unexpected argument "${arg}"`;
      continue;
    }
    const long = arg.startsWith("--");
    const body = arg.slice(long ? 2 : 1);
    const [name, inline] = body.split(/=(.*)/s, 2) as [string, string | undefined];
    const names = long ? [name] : name.split("");
    for (const n of names) {
      let def = byName.get(long ? camel(n) : n);
      if (!def && long && n.startsWith("no-")) {
        def = byName.get(camel(n.slice(3)));
        if (def && def.type !== "boolean") def = undefined;
      }
      if (!def) return `unknown option "${long ? "--" : "-"}${n}"`;
      const takesValue = def.type === "string" || def.type === "enum";
      if (takesValue && inline === undefined && names.length === 1) {
        if (i + 1 >= rawArgs.length) return `option "${arg}" needs a value`;
        i++;
      }
    }
  }
  return undefined;
}
