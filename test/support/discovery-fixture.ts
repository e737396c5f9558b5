/**
 * Discovery test helpers: an in-memory DiscoveryFs, and a copy of the fixture HOME and project
 * (test/fixtures/discovery) in a temp dir with `@@PROJECT@@` replaced by the copy's path.
 */
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, posix, resolve } from "node:path";
import type { DiscoveryFs } from "../../src/upstream/discovery/index.ts";
import { tempDir } from "./bridge.ts";

/** A DiscoveryFs over a map of absolute path → file text; `executables` are the runnable paths. */
export function memoryFs(files: Record<string, string>, executables: string[] = []): DiscoveryFs & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async readFile(path) {
      reads.push(path);
      return Object.hasOwn(files, path) ? files[path] : undefined;
    },
    async listDir(path) {
      const prefix = path.endsWith("/") ? path : `${path}/`;
      const names = Object.keys(files).filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length).split(/[\\/]/)[0]!);
      return [...new Set(names)];
    },
    async isExecutable(path) {
      return executables.includes(path) || executables.includes(posix.normalize(path));
    },
  };
}

const FIXTURE = resolve(import.meta.dir, "../fixtures/discovery");

function replaceIn(dir: string, from: string, to: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) replaceIn(path, from, to);
    else writeFileSync(path, readFileSync(path, "utf8").replaceAll(from, to));
  }
}

/** Copies the fixture HOME and project to a temp dir; `cleanup` removes it. */
export function copyDiscoveryFixture(): { root: string; home: string; project: string; cleanup: () => void } {
  const dir = tempDir("bridge-discovery-");
  const home = join(dir.path, "home");
  const project = join(dir.path, "project");
  cpSync(join(FIXTURE, "home"), home, { recursive: true });
  cpSync(join(FIXTURE, "project"), project, { recursive: true });
  replaceIn(dir.path, "@@PROJECT@@", project);
  return { root: dir.path, home, project, cleanup: dir.cleanup };
}
