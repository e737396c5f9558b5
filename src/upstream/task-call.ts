/**
 * Calls a tool whose definition says `execution.taskSupport: "required"` through the SDK's task API
 * (`tools/call` with a task, then `tasks/get` polling and `tasks/result`). The whole call runs under
 * the upstream timeout, restarted whenever the task reports a new status or progress (as progress
 * restarts it for plain calls); each status is reported through `onStatus`. A call that times out
 * or whose run_python call ends cancels the task on the server (`tasks/cancel`).
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  CallToolResultSchema,
  type CallToolResult,
  type Progress,
  type Task,
} from "@modelcontextprotocol/sdk/types.js";
import { BridgeError } from "../errors.ts";

export interface TaskCallOptions {
  server: string;
  timeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Each new task status (and its status message). */
  onStatus?: (task: Task) => void;
  /** Called once the server created the task; the returned function is called when it ends. */
  onTask?: (taskId: string) => () => void;
}

const TERMINAL = new Set(["completed", "failed", "cancelled"]);

export async function callToolAsTask(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  opts: TaskCallOptions,
): Promise<CallToolResult> {
  const deadline = new AbortController();
  let timer: Timer | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => deadline.abort(), opts.timeoutMs);
  };
  arm();
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline.signal]) : deadline.signal;
  let taskId: string | undefined;
  let status = "";
  let unbind: (() => void) | undefined;
  const onprogress = (p: Progress) => {
    arm();
    opts.onProgress?.(p);
  };
  try {
    const stream = client.experimental.tasks.callToolStream({ name, arguments: args }, CallToolResultSchema, {
      task: {},
      timeout: opts.timeoutMs,
      signal,
      onprogress,
      resetTimeoutOnProgress: true,
    });
    for await (const msg of stream) {
      if (msg.type === "taskCreated") {
        taskId = msg.task.taskId;
        unbind = opts.onTask?.(taskId);
        arm();
      } else if (msg.type === "taskStatus") {
        const now = `${msg.task.status}\u0000${msg.task.statusMessage ?? ""}`;
        if (now !== status) {
          status = now;
          arm();
          opts.onStatus?.(msg.task);
        }
      } else if (msg.type === "result") {
        return msg.result as CallToolResult;
      } else {
        throw msg.error;
      }
    }
    throw new BridgeError("UPSTREAM_FAILED", `server ${opts.server}: task for tool ${name} ended without a result`);
  } catch (err) {
    if (taskId && !TERMINAL.has(status.split("\u0000")[0]!)) {
      void client.experimental.tasks.cancelTask(taskId, { timeout: 5000 }).catch(() => {});
    }
    if (deadline.signal.aborted) {
      throw new BridgeError(
        "TIMEOUT",
        `server ${opts.server}: task tool ${name} made no progress for ${Math.round(opts.timeoutMs / 1000)}s${taskId ? ` (task ${taskId} cancelled)` : ""}`,
        {
          hint: "Raise MCP_BRIDGE_UPSTREAM_TIMEOUT if the tool is slow.",
          cause: err,
        },
      );
    }
    if (opts.signal?.aborted)
      throw new BridgeError("CANCELLED", `task tool ${name} on server ${opts.server} was cancelled`, { cause: err });
    throw err;
  } finally {
    clearTimeout(timer);
    unbind?.();
  }
}
