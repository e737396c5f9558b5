/**
 * `server.json` for the official MCP Registry: one `mcpb` package per platform bundle (its release
 * URL and SHA-256), stdio transport, and the common settings as environment variables. Checked
 * against the registry's published schema, vendored as server.schema.json from
 * https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json (the newest published
 * version, 2025-12-11; source github.com/modelcontextprotocol/static, MIT) because CI cannot reach it.
 */
import Ajv from "ajv";
import addFormats from "ajv-formats";
import schema from "./server.schema.json" with { type: "json" };
import { SETTINGS } from "../../src/config/schema.ts";
import { HOMEPAGE } from "./homebrew.ts";
import { DESCRIPTION, USER_SETTINGS, settingDefault } from "./mcpb.ts";

export const SCHEMA_URL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json";
/** `io.github.<owner>/<repo>`: the namespace the registry ties to the GitHub owner. */
export const SERVER_NAME = "io.github.bridge-mcp/bridge";

export interface BundleAsset {
  file: string;
  sha256: string;
}

/** The server.json document for a release whose bundles live under `baseUrl`. */
export function renderServerJson(opts: {
  version: string;
  baseUrl: string;
  bundles: BundleAsset[];
}): Record<string, unknown> {
  return {
    $schema: SCHEMA_URL,
    name: SERVER_NAME,
    title: "bridge",
    description: DESCRIPTION,
    version: opts.version,
    repository: { url: HOMEPAGE, source: "github" },
    websiteUrl: HOMEPAGE,
    packages: opts.bundles.map((b) => ({
      registryType: "mcpb",
      identifier: `${opts.baseUrl}/${b.file}`,
      version: opts.version,
      fileSha256: b.sha256,
      transport: { type: "stdio" },
      environmentVariables: USER_SETTINGS.map((s) => {
        // Only literal defaults: unset, bridge applies its own (a client would not expand ${HOME}).
        const def = settingDefault(s);
        return {
          name: SETTINGS[s.setting].env,
          description: SETTINGS[s.setting].help,
          format: s.type === "directory" ? "filepath" : "string",
          isRequired: false,
          ...(def && !def.includes("${") ? { default: def } : {}),
        };
      }),
    })),
  };
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

/** Schema errors of a server.json document (empty when valid), plus the registry's own rules we know. */
export function serverJsonProblems(doc: unknown): string[] {
  const problems = validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
  const d = doc as { packages?: Array<{ registryType?: string; identifier?: string; fileSha256?: string }> };
  for (const p of d.packages ?? []) {
    // Publishing rules from the registry docs (package-types): MCPB URLs must contain "mcp" and carry a hash.
    if (p.registryType === "mcpb" && !p.identifier?.includes("mcp"))
      problems.push(`${p.identifier}: an MCPB URL must contain "mcp"`);
    if (p.registryType === "mcpb" && !p.fileSha256) problems.push(`${p.identifier}: an MCPB package needs fileSha256`);
  }
  return problems;
}
