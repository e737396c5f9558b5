/**
 * Host methods that call upstream servers for Python: `mcp.call_tool` (one answer), the pair
 * `mcp.call_start` / `mcp.call_next` (a call Python follows event by event: the server's progress
 * notifications and task statuses, then the result), and `mcp.read_resource` / `mcp.list_resources`.
 * Every call is tied to the run_python call that makes it (`ctx.origin`): progress goes to the
 * outer client when it asked for progress, and the server's sampling/elicitation requests are
 * forwarded through it. Streams are per run and end with it; each keeps at most 256 undelivered
 * events (older ones are dropped and counted).
 */
import type { Progress, Task } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { BridgeError } from "../errors.ts";
import type { HostCallContext, HostMethod } from "../sandbox/extension.ts";
import type { CallOptions } from "./connection.ts";
import { nameSchema, parseParams } from "./params.ts";
import type { UpstreamRegistry } from "./registry.ts";
import { readResourceValue, toolResultValue } from "./result.ts";

const MAX_EVENTS = 256;
const schemas = {
  call: z.object({ server: nameSchema, tool: nameSchema, args: z.record(z.string(), z.unknown()).nullish() }),
  next: z.object({ call: z.string().min(1).max(64) }),
  server: z.object({ server: nameSchema }),
  resource: z.object({ server: nameSchema, uri: z.string().min(1).max(8192) }),
};

/** One progress/status event as Python receives it. */
interface CallEvent {
  progress: number | null;
  total: number | null;
  message: string | null;
  status: string | null;
}

interface Stream {
  events: CallEvent[];
  dropped: number;
  done?: { value: unknown } | { error: unknown };
  wake?: () => void;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

/** What the outer client is shown for one upstream progress event (when it asked for progress). */
function progressLine(server: string, tool: string, e: CallEvent): string {
  const count = e.progress === null ? "" : ` ${fmt(e.progress)}${e.total === null ? "" : `/${fmt(e.total)}`}`;
  const status = e.status ? ` [${e.status}]` : "";
  return `[${server}.${tool}${count}${status}]${e.message ? ` ${e.message}` : ""}`;
}

/** Call options that relay progress to the outer client and to `emit`. */
function callOptions(server: string, tool: string, ctx: HostCallContext, emit?: (e: CallEvent) => void): CallOptions {
  const relay = (e: CallEvent) => {
    ctx.origin?.progress(progressLine(server, tool, e));
    emit?.(e);
  };
  return {
    signal: ctx.signal,
    origin: ctx.origin,
    onProgress: (p: Progress) =>
      relay({ progress: p.progress, total: p.total ?? null, message: p.message ?? null, status: null }),
    onStatus: (t: Task) => relay({ progress: null, total: null, message: t.statusMessage ?? null, status: t.status }),
  };
}

export function callMethods(registry: UpstreamRegistry): Record<string, HostMethod> {
  const streams = new Map<string, Stream>();
  let counter = 0;

  return {
    "mcp.call_tool": async (p, ctx) => {
      const { server, tool, args } = parseParams(schemas.call, p, "call_tool");
      const result = await registry.call(server, tool, args ?? {}, callOptions(server, tool, ctx));
      return toolResultValue(server, tool, result);
    },

    "mcp.call_start": async (p, ctx) => {
      const { server, tool, args } = parseParams(schemas.call, p, "call_tool");
      const id = `c${++counter}`;
      const stream: Stream = { events: [], dropped: 0 };
      const wake = () => {
        stream.wake?.();
        stream.wake = undefined;
      };
      streams.set(id, stream);
      ctx.signal.addEventListener(
        "abort",
        () => {
          streams.delete(id);
          wake();
        },
        { once: true },
      );
      const emit = (e: CallEvent) => {
        stream.events.push(e);
        if (stream.events.length > MAX_EVENTS) {
          stream.events.shift();
          stream.dropped++;
        }
        wake();
      };
      registry
        .call(server, tool, args ?? {}, callOptions(server, tool, ctx, emit))
        .then(
          (result) => {
            try {
              stream.done = { value: toolResultValue(server, tool, result) };
            } catch (err) {
              stream.done = { error: err };
            }
          },
          (error) => {
            stream.done = { error };
          },
        )
        .finally(wake);
      return { call: id };
    },

    "mcp.call_next": async (p, ctx) => {
      const { call } = parseParams(schemas.next, p, "call_next");
      const stream = streams.get(call);
      if (!stream)
        throw new BridgeError(
          "USAGE",
          `call_next: no call ${JSON.stringify(call)} in this run (it ended or was never started)`,
        );
      if (!stream.events.length && !stream.done) {
        await new Promise<void>((resolve) => {
          stream.wake = resolve;
          if (ctx.signal.aborted) resolve();
        });
      }
      const events = stream.events.splice(0);
      const dropped = stream.dropped;
      stream.dropped = 0;
      if (!stream.done || events.length) return { events, dropped, done: false };
      streams.delete(call);
      if ("error" in stream.done) throw stream.done.error;
      return { events: [], dropped: 0, done: true, value: stream.done.value };
    },

    "mcp.list_resources": async (p, ctx) => {
      const { server } = parseParams(schemas.server, p, "list_resources");
      const resources = await registry.resources(server, ctx.signal);
      return resources.map((r) => ({
        uri: r.uri,
        name: r.name,
        title: r.title ?? null,
        description: r.description ?? null,
        mimeType: r.mimeType ?? null,
      }));
    },

    "mcp.read_resource": async (p, ctx) => {
      const { server, uri } = parseParams(schemas.resource, p, "read_resource");
      return readResourceValue(await registry.readResource(server, uri, ctx.signal));
    },
  };
}
