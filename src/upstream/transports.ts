/**
 * The transport for one upstream server: stdio servers in their own process group on POSIX
 * (stdio-transport.ts; the SDK's transport on Windows), streamable HTTP or SSE with the configured
 * headers otherwise. Every transport reads at most `maxMessageBytes` of one message before closing
 * (stdio: line-reader.ts; HTTP and SSE: capped-fetch.ts, except on Windows, where the SDK's stdio
 * transport buffers up to the limit itself). Also the accessors client-lifecycle.ts needs (child process,
 * stderr) whichever it is.
 */
import type { ChildProcess } from "node:child_process";
import type { Stream } from "node:stream";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { BridgeError } from "../errors.ts";
import { cappedFetch } from "./capped-fetch.ts";
import { ProcessGroupTransport } from "./stdio-transport.ts";
import type { ServerEntry } from "./types.ts";

/** A new transport for `entry`; a message over `maxMessageBytes` closes it (after `onerror` with the reason). */
export function defaultTransport(entry: ServerEntry, maxMessageBytes: number): Transport {
  if (entry.transport === "stdio") {
    if (!entry.command)
      throw new BridgeError("UPSTREAM_FAILED", `server ${entry.name} has no command (from ${entry.source})`);
    const params = { command: entry.command, args: entry.args ?? [], env: entry.env, cwd: entry.cwd };
    if (process.platform === "win32")
      return new StdioClientTransport({ ...params, stderr: "pipe", maxBufferSize: maxMessageBytes });
    return new ProcessGroupTransport({ ...params, maxBufferSize: maxMessageBytes });
  }
  if (!entry.url) throw new BridgeError("UPSTREAM_FAILED", `server ${entry.name} has no url (from ${entry.source})`);
  const requestInit = entry.headers ? { headers: entry.headers } : undefined;
  const fetch = cappedFetch(maxMessageBytes, (err) => {
    // The SDK only reports a failed body (and may reconnect an SSE stream): close, as for stdio.
    transport.onerror?.(err);
    void transport.close();
  });
  const transport: Transport =
    entry.transport === "sse"
      ? new SSEClientTransport(new URL(entry.url), { requestInit, fetch })
      : new StreamableHTTPClientTransport(new URL(entry.url), { requestInit, fetch });
  return transport;
}

/** The stdio server process behind a transport, if any. */
export function childOf(transport: Transport): ChildProcess | undefined {
  if (transport instanceof ProcessGroupTransport) return transport.process;
  return (transport as unknown as { _process?: ChildProcess })._process;
}

/** The stdio server's stderr, if the transport has a process. */
export function stderrOf(transport: Transport): Stream | null {
  return transport instanceof ProcessGroupTransport || transport instanceof StdioClientTransport
    ? transport.stderr
    : null;
}
