/**
 * Discovery test helpers: an in-memory DiscoveryFs, and copies of the fixture trees
 * (test/fixtures/discovery and test/fixtures/clients) in a temp dir with `@@PROJECT@@` / `@@HOME@@`
 * replaced by the copy's paths.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, posix, resolve } from "node:path";
import type { DiscoveryFs } from "../../src/upstream/discovery/index.ts";
import { tempDir } from "./bridge.ts";

/** A DiscoveryFs over a map of absolute path → file text; `executables` are the runnable paths, `dirs` extra existing directories. */
export function memoryFs(
  files: Record<string, string>,
  executables: string[] = [],
  dirs: string[] = [],
): DiscoveryFs & { reads: string[] } {
  const reads: string[] = [];
  const sep = (path: string) => (path.includes("\\") && !path.includes("/") ? "\\" : "/");
  const under = (path: string) => (path.endsWith(sep(path)) ? path : `${path}${sep(path)}`);
  const isDir = (path: string) => dirs.includes(path) || Object.keys(files).some((f) => f.startsWith(under(path)));
  return {
    reads,
    async readBytes(path) {
      reads.push(path);
      return Object.hasOwn(files, path) ? new TextEncoder().encode(files[path]) : undefined;
    },
    async listDir(path) {
      const prefix = under(path);
      const names = Object.keys(files)
        .filter((f) => f.startsWith(prefix))
        .map((f) => f.slice(prefix.length).split(/[\\/]/)[0]!);
      return [...new Set(names)];
    },
    async isExecutable(path) {
      return executables.includes(path) || executables.includes(posix.normalize(path));
    },
    async isDirectory(path) {
      return isDir(path);
    },
    async exists(path) {
      return Object.hasOwn(files, path) || isDir(path) || executables.includes(path);
    },
  };
}

const FIXTURES = resolve(import.meta.dir, "../fixtures");

function replaceIn(dir: string, pairs: Array<[string, string]>): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) replaceIn(path, pairs);
    else {
      let text = readFileSync(path, "utf8");
      for (const [from, to] of pairs) text = text.replaceAll(from, to);
      writeFileSync(path, text);
    }
  }
}

/** Copies the fixture HOME and project to a temp dir; `cleanup` removes it. */
export function copyDiscoveryFixture(): { root: string; home: string; project: string; cleanup: () => void } {
  const dir = tempDir("bridge-discovery-");
  const home = join(dir.path, "home");
  const project = join(dir.path, "project");
  cpSync(join(FIXTURES, "discovery", "home"), home, { recursive: true });
  cpSync(join(FIXTURES, "discovery", "project"), project, { recursive: true });
  replaceIn(dir.path, [
    ["@@PROJECT@@", project],
    ["@@HOME@@", home],
  ]);
  return { root: dir.path, home, project, cleanup: dir.cleanup };
}

/** The clients that have a fixture in test/fixtures/clients/. */
export const CLIENT_FIXTURES = readdirSync(join(FIXTURES, "clients"))
  .filter((n) => statSync(join(FIXTURES, "clients", n)).isDirectory())
  .sort();

/** A client fixture's expectations (test/fixtures/clients/<client>/expect.json). */
export interface ClientExpectation {
  runs: Array<{
    name: string;
    env?: Record<string, string>;
    args?: string[];
    servers: Record<string, Record<string, unknown>>;
    absent?: string[];
    problems?: Array<{ file: string; reason: string }>;
  }>;
}

/**
 * Copies one client's fixture (test/fixtures/clients/<client>/): `home/` and `project/` become the
 * HOME and working directory, `above/` the project's parent; `@@HOME@@`, `@@PROJECT@@` and `@@ROOT@@`
 * are replaced in every file. Also returns its expect.json with the same replacements.
 */
export function copyClientFixture(client: string): {
  root: string;
  home: string;
  project: string;
  expected: ClientExpectation;
  cleanup: () => void;
} {
  const dir = tempDir(`bridge-client-${client}-`);
  const home = join(dir.path, "home");
  const project = join(dir.path, "project");
  for (const [part, to] of [
    ["home", home],
    ["project", project],
    ["above", dir.path],
  ] as const) {
    const from = join(FIXTURES, "clients", client, part);
    if (existsSync(from)) cpSync(from, to, { recursive: true });
    else mkdirSync(to, { recursive: true });
  }
  const pairs: Array<[string, string]> = [
    ["@@PROJECT@@", project],
    ["@@HOME@@", home],
    ["@@ROOT@@", dir.path],
  ];
  replaceIn(dir.path, pairs);
  let text = readFileSync(join(FIXTURES, "clients", client, "expect.json"), "utf8");
  for (const [from, to] of pairs) text = text.replaceAll(from, to);
  return { root: dir.path, home, project, expected: JSON.parse(text) as ClientExpectation, cleanup: dir.cleanup };
}
