/**
 * What bridge answers when an upstream server sends a request to its client. `roots/list`: the
 * outer client's roots. `sampling/createMessage` and `elicitation/create`: forwarded to the outer
 * client through the run_python call that is using the server (`CallOrigin.request`, so the client
 * shows and approves them as part of that call). Handlers exist only for what the outer client
 * declared (origin.ts), so bridge never claims more than the user's client can do. A request that arrives when no call is using the server, or
 * while several calls are and the request does not name a task, is refused with a clear error.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  McpError,
  RELATED_TASK_META_KEY,
  type ClientCapabilities,
} from "@modelcontextprotocol/sdk/types.js";
import type { CallOrigin } from "../sandbox/extension.ts";
import type { OuterClient } from "./origin.ts";

/** Which run_python calls are using one upstream server right now (tool calls and the tasks they created). */
export class CallTracker {
  private readonly calls = new Map<number, CallOrigin | undefined>();
  private readonly tasks = new Map<string, CallOrigin | undefined>();
  private next = 0;

  /** Marks a call as in flight; the returned function ends it. */
  begin(origin: CallOrigin | undefined): () => void {
    const id = ++this.next;
    this.calls.set(id, origin);
    return () => void this.calls.delete(id);
  }

  /** Ties a task the server created to the call that created it (its requests name the task). */
  bindTask(taskId: string, origin: CallOrigin | undefined): () => void {
    this.tasks.set(taskId, origin);
    return () => void this.tasks.delete(taskId);
  }

  /** The call a server-to-client request belongs to; throws an McpError the server can report. */
  originFor(server: string, method: string, meta: Record<string, unknown> | undefined): CallOrigin {
    const related = meta?.[RELATED_TASK_META_KEY] as { taskId?: unknown } | undefined;
    const byTask =
      typeof related?.taskId === "string" && this.tasks.has(related.taskId)
        ? this.tasks.get(related.taskId)
        : undefined;
    const origins = byTask ? [byTask] : [...new Set(this.calls.values())];
    if (origins.length === 1 && origins[0]) return origins[0];
    const why =
      origins.length === 0
        ? "no run_python call is using this server right now; bridge forwards it only during a call"
        : origins.includes(undefined)
          ? "the call using this server has no MCP client to forward it to (bridge run)"
          : `${origins.length} run_python calls are using this server at once and bridge cannot tell which one it belongs to; retry when only one is`;
    throw new McpError(ErrorCode.InvalidRequest, `bridge cannot forward ${method} from server ${server}: ${why}`);
  }
}

export interface ClientRequestOptions {
  server: string;
  tracker: CallTracker;
  outer?: OuterClient;
  /** How long the outer client may take to answer a forwarded request (ms). */
  timeoutMs: number;
  /** Called after each roots/list answer. */
  onRootsAnswered?: () => void;
}

/** Installs the request handlers on an upstream Client that declared `caps` (before it connects). */
export function installClientHandlers(client: Client, caps: ClientCapabilities, opts: ClientRequestOptions): void {
  const { server, tracker, outer } = opts;
  if (caps.roots && outer) {
    client.setRequestHandler(ListRootsRequestSchema, async (_req, extra) => {
      const roots = await outer.listRoots(extra.signal);
      queueMicrotask(() => opts.onRootsAnswered?.());
      return { roots };
    });
  }
  const forward = async (method: string, params: Record<string, unknown>, extra: { signal: AbortSignal }) => {
    if (params.task)
      throw new McpError(
        ErrorCode.InvalidParams,
        `bridge does not accept task-augmented ${method} requests (it declares no client task support)`,
      );
    const origin = tracker.originFor(server, method, params._meta as Record<string, unknown> | undefined);
    const { _meta, ...rest } = params;
    return origin.request(method, rest, { signal: extra.signal, timeoutMs: opts.timeoutMs });
  };
  if (caps.sampling) {
    client.setRequestHandler(
      CreateMessageRequestSchema,
      (req, extra) => forward(req.method, req.params, extra) as never,
    );
  }
  if (caps.elicitation) {
    client.setRequestHandler(ElicitRequestSchema, (req, extra) => forward(req.method, req.params, extra) as never);
  }
}
