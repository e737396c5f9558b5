/**
 * The real ListTools for `bridge discover --tools`: a short-lived SDK client over stdio, streamable
 * HTTP or SSE that initializes, pages through tools/list and closes (killing a stdio child).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { VERSION } from "../../version.ts";
import { redactor } from "../secrets.ts";
import type { ServerEntry } from "../types.ts";
import type { ListTools, ToolListing } from "./tool-costs.ts";

const STDERR_TAIL = 2000;

function transportFor(server: ServerEntry): { transport: Transport; stderrTail: () => string } {
  if (server.transport === "stdio") {
    const transport = new StdioClientTransport({
      command: server.resolvedCommand ?? server.command!,
      args: server.args ?? [],
      env: { ...getDefaultEnvironment(), ...server.env },
      cwd: server.cwd,
      stderr: "pipe",
    });
    let tail = "";
    transport.stderr?.on("data", (chunk: Buffer) => {
      tail = (tail + chunk.toString("utf8")).slice(-STDERR_TAIL);
    });
    return { transport, stderrTail: () => tail.trim() };
  }
  const requestInit = { headers: server.headers ?? {} };
  const url = new URL(server.url!);
  const transport =
    server.transport === "sse"
      ? new SSEClientTransport(url, { requestInit })
      : new StreamableHTTPClientTransport(url, { requestInit });
  return { transport, stderrTail: () => "" };
}

async function pageAllTools(client: Client, signal: AbortSignal): Promise<ToolListing[]> {
  const tools: ToolListing[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : {}, { signal });
    tools.push(...page.tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema })));
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

/** Connects to one discovered server, lists its tools, and disconnects. */
export const listServerTools: ListTools = async (server, signal) => {
  const { transport, stderrTail } = transportFor(server);
  const client = new Client({ name: "bridge-discover", version: VERSION });
  const closeOnAbort = () => void client.close().catch(() => {});
  signal.addEventListener("abort", closeOnAbort, { once: true });
  try {
    await client.connect(transport, { signal });
    return await pageAllTools(client, signal);
  } catch (err) {
    const tail = stderrTail();
    // The error may quote the URL (keys in its path or query) or echo a token: print the masked form.
    throw new Error(
      redactor(server)(
        `${(err as Error).message}${tail ? `\n    server stderr: ${tail.split("\n").slice(-3).join("\n    ")}` : ""}`,
      ),
    );
  } finally {
    signal.removeEventListener("abort", closeOnAbort);
    await client.close().catch(() => {});
  }
};
