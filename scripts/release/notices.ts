/**
 * THIRD_PARTY_NOTICES.md for release archives and bundles: every npm package bun bundled into the
 * binary (read from the build's metafile, so the list cannot drift from the code), with its license
 * name and text from node_modules, plus the Bun runtime every compiled binary embeds.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The directories (`node_modules/<name>` or `node_modules/@scope/name`) of bundled packages. */
export function bundledPackageDirs(metafile: { inputs: Record<string, unknown> }): string[] {
  const dirs = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(m[1]!);
  }
  return [...dirs].sort();
}

// LICENSE, LICENSE.md, COPYING.txt, and per-license files such as LICENSE.BSD or LICENSE-MIT.
const LICENSE_FILE = /^(licen[cs]e|copying)([.-][\w.-]+)?$/i;

/** Name, version, SPDX license and license text of one package; throws when it has no license file. */
export function packageNotice(dir: string): { name: string; version: string; license: string; text: string } {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    name: string;
    version: string;
    license?: string;
  };
  const files = readdirSync(dir)
    .filter((f) => LICENSE_FILE.test(f))
    .sort();
  if (!files.length) throw new Error(`notices: ${pkg.name}@${pkg.version} (${dir}) has no license file to ship`);
  const texts = files.map((f) => (files.length > 1 ? `${f}:\n\n` : "") + readFileSync(join(dir, f), "utf8").trim());
  return { name: pkg.name, version: pkg.version, license: pkg.license ?? "see text", text: texts.join("\n\n") };
}

/** Bun itself: MIT, statically linking LGPL-2 JavaScriptCore/WebKit and other libraries. */
function bunNotice(bunVersion: string): string {
  const url = `https://github.com/oven-sh/bun/blob/bun-v${bunVersion}/LICENSE.md`;
  return [
    `## Bun ${bunVersion} (the runtime inside the binary)`,
    "",
    "The binary is built with `bun build --compile`, which embeds the Bun runtime. Bun is MIT-licensed",
    "and statically links JavaScriptCore and WebKit (LGPL-2; Bun's patched WebKit is at",
    "https://github.com/oven-sh/webkit, and Bun's license explains how to relink it) and other",
    "libraries under MIT, BSD, Apache-2.0, zlib, ICU and LGPL-2.1 (tinycc) licenses.",
    `The full list, with each library's license: ${url}`,
  ].join("\n");
}

/** The notices document for a build whose metafile is at `metafilePath`. */
export function thirdPartyNotices(metafilePath: string, bunVersion: string): string {
  const meta = JSON.parse(readFileSync(metafilePath, "utf8")) as { inputs: Record<string, unknown> };
  const packages = bundledPackageDirs(meta)
    .filter((d) => existsSync(join(d, "package.json")))
    .map(packageNotice);
  const parts = [
    "# Third-party notices",
    "",
    "bridge is MIT-licensed (see LICENSE). Its binary contains the following third-party software.",
    "",
    bunNotice(bunVersion),
    "",
    `## npm packages bundled into the binary (${packages.length})`,
    "",
    ...packages.map((p) => `- ${p.name} ${p.version} — ${p.license}`),
  ];
  for (const p of packages) parts.push("", `### ${p.name} ${p.version} (${p.license})`, "", "```text", p.text, "```");
  return `${parts.join("\n")}\n`;
}
