/**
 * Result files as MCP resources: every file a run_python call wrote to /output gets a
 * `bridge://files/<id>/<name>` URI that `resources/read` answers while serve runs. Files saved to the
 * user's output folder are read back from there (only the ones bridge wrote, only regular files);
 * the others are kept in memory, the oldest dropped once they hold more than 256 MiB. A file
 * larger than an MCP message can carry is listed but not readable over MCP.
 */
import { ResourceTemplate, type McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { formatBytes } from "../../config/index.ts";
import { BridgeError } from "../../errors.ts";
import { readRegularFileBytes } from "../../fs/read.ts";
import type { OutcomeFile } from "../../output/format.ts";
import { isTextType } from "../../sandbox/result-files.ts";

/** The bytes as text when they are valid UTF-8, else undefined. */
export function utf8(data: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(data);
  } catch {
    return undefined;
  }
}

/** Most bytes kept in memory for files no output folder received. */
export const FILE_STORE_BYTES = 256 * 1024 * 1024;
/** Largest file `resources/read` returns: its base64 must fit the SDK's 10 MB message limit with room to spare. */
export const MAX_READ_BYTES = 6 * 1024 * 1024;

interface Entry {
  name: string;
  mimeType: string;
  size: number;
  data?: Uint8Array;
  path?: string;
}

/** Issues URIs for result files and reads them back. */
export class ResultFileStore {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private next = 0;

  constructor(private readonly maxBytes = FILE_STORE_BYTES) {}

  /** Stores a file (its bytes only when it was not saved to the host) and returns its URI. */
  put(f: OutcomeFile): string {
    const uri = `bridge://files/${++this.next}/${encodeURIComponent(f.name)}`;
    const keep = f.savedTo === undefined && f.data.length <= MAX_READ_BYTES;
    this.entries.set(uri, {
      name: f.name,
      mimeType: f.mimeType,
      size: f.data.length,
      ...(f.savedTo ? { path: f.savedTo } : {}),
      ...(keep ? { data: f.data } : {}),
    });
    if (keep) this.bytes += f.data.length;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      if (!e.data) continue;
      this.bytes -= e.data.length;
      this.entries.delete(k);
    }
    return uri;
  }

  /** The listed resources, newest first. */
  list(): Array<{ uri: string; name: string; mimeType: string; size: number }> {
    return [...this.entries].reverse().map(([uri, e]) => ({ uri, name: e.name, mimeType: e.mimeType, size: e.size }));
  }

  /** A file's content; throws a BridgeError saying why it cannot be read. */
  read(uri: string): { mimeType: string; data: Uint8Array } {
    const e = this.entries.get(uri);
    if (!e)
      throw new BridgeError(
        "USAGE",
        `${uri} is not a result file of this bridge session (they are kept while serve runs, the oldest dropped past ${formatBytes(this.maxBytes)})`,
      );
    if (e.data) return { mimeType: e.mimeType, data: e.data };
    if (e.path) {
      const data = readRegularFileBytes(e.path, { maxBytes: MAX_READ_BYTES, label: e.path });
      if (!data) throw new BridgeError("USAGE", `${e.path} (saved from /output/${e.name}) is no longer there`);
      return { mimeType: e.mimeType, data };
    }
    throw new BridgeError("USAGE", `/output/${e.name} is ${formatBytes(e.size)}, more than an MCP message can carry`, {
      hint: "Allow an output folder (MCP_BRIDGE_OUTPUT_FOLDER) to receive large files.",
    });
  }
}

/** Answers resources/read (and list) for `bridge://files/…`. */
export function registerResultFiles(server: McpServer, store: ResultFileStore): void {
  server.registerResource(
    "result-files",
    new ResourceTemplate("bridge://files/{id}/{name}", { list: async () => ({ resources: store.list() }) }),
    { title: "run_python result files", description: "Files code wrote to /output in run_python calls." },
    async (uri) => {
      const { mimeType, data } = store.read(uri.href);
      const text = isTextType(mimeType) ? utf8(data) : undefined;
      return {
        contents: [
          text !== undefined
            ? { uri: uri.href, mimeType, text }
            : { uri: uri.href, mimeType, blob: Buffer.from(data).toString("base64") },
        ],
      };
    },
  );
}
