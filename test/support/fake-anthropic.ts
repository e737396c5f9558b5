/**
 * A fake Anthropic Messages API on 127.0.0.1 for driving the real Claude Code CLI in tests.
 * Each POST /v1/messages takes the next scripted reply (text, tool_use, HTTP error or a hang);
 * when the script runs out, it answers with a plain text "done". Requests without tools are the
 * CLI's side calls (titles and the like): they get a short text and do not consume the script.
 * Every request body is recorded so tests can assert what the CLI sent (e.g. that a prompt of
 * `--help` arrived as the user message). Set FAKE_ANTHROPIC_DEBUG=1 to log requests to stderr.
 */

/** One scripted answer to a POST /v1/messages. */
export type FakeReply =
  | { kind: "text"; text: string /** answer only after this many ms */; delayMs?: number }
  | { kind: "tool_use"; name: string; input: Record<string, unknown>; text?: string }
  | {
      kind: "error";
      status: number;
      type?: string;
      message?: string /** never consumed: every later request gets it too */;
      sticky?: boolean;
    }
  | { kind: "hang" };

/** A recorded request to /v1/messages. */
export interface RecordedRequest {
  path: string;
  body: any;
  /** True when this request was answered from the script (not an auxiliary call). */
  scripted: boolean;
}

export interface FakeAnthropic {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Text of every user message (string or text blocks) the CLI sent, across scripted requests. */
  userTexts(): string[];
  /** Requests held open by a `hang` reply whose client has not gone away. */
  hangingCount(): number;
  /** Replaces the remaining script. */
  script(replies: FakeReply[]): void;
  stop(): Promise<void>;
}

const MODEL = "claude-fake-1";
let counter = 0;

function sse(events: Array<[string, unknown]>): string {
  return events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join("");
}

function usage() {
  return { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
}

function blocksFor(reply: Extract<FakeReply, { kind: "text" | "tool_use" }>): any[] {
  if (reply.kind === "text") return [{ type: "text", text: reply.text }];
  const blocks: any[] = [];
  if (reply.text) blocks.push({ type: "text", text: reply.text });
  blocks.push({ type: "tool_use", id: `toolu_fake${++counter}`, name: reply.name, input: reply.input });
  return blocks;
}

function streamBody(blocks: any[], stopReason: string): string {
  const id = `msg_fake${++counter}`;
  const events: Array<[string, unknown]> = [
    [
      "message_start",
      {
        type: "message_start",
        message: {
          id,
          type: "message",
          role: "assistant",
          model: MODEL,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: usage(),
        },
      },
    ],
  ];
  blocks.forEach((block, index) => {
    if (block.type === "text") {
      events.push([
        "content_block_start",
        { type: "content_block_start", index, content_block: { type: "text", text: "" } },
      ]);
      events.push([
        "content_block_delta",
        { type: "content_block_delta", index, delta: { type: "text_delta", text: block.text } },
      ]);
    } else {
      events.push([
        "content_block_start",
        {
          type: "content_block_start",
          index,
          content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
        },
      ]);
      events.push([
        "content_block_delta",
        {
          type: "content_block_delta",
          index,
          delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) },
        },
      ]);
    }
    events.push(["content_block_stop", { type: "content_block_stop", index }]);
  });
  events.push([
    "message_delta",
    { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 5 } },
  ]);
  events.push(["message_stop", { type: "message_stop" }]);
  return sse(events);
}

/** True for the CLI's side requests (title/topic generation etc.) that should not eat the script. */
function isAuxiliary(body: any): boolean {
  return !Array.isArray(body?.tools) || body.tools.length === 0;
}

/** Starts the fake API on 127.0.0.1 with an ephemeral port. */
export function startFakeAnthropic(initial: FakeReply[] = []): FakeAnthropic {
  let queue = [...initial];
  const requests: RecordedRequest[] = [];
  const hanging = new Set<() => void>();
  const nextReply = (): FakeReply => {
    const head = queue[0];
    if (head?.kind === "error" && head.sticky) return head;
    return queue.shift() ?? { kind: "text", text: "done" };
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method === "HEAD" || req.method === "GET") return new Response(null, { status: 200 });
      if (req.method !== "POST" || !url.pathname.startsWith("/v1/messages"))
        return new Response("not found", { status: 404 });
      const body: any = await req.json().catch(() => ({}));
      if (url.pathname !== "/v1/messages") {
        requests.push({ path: url.pathname, body, scripted: false });
        return Response.json({ input_tokens: 10 });
      }
      const scripted = !isAuxiliary(body);
      requests.push({ path: url.pathname, body, scripted });
      if (process.env.FAKE_ANTHROPIC_DEBUG)
        console.error("fake-anthropic:", req.method, url.pathname, scripted, JSON.stringify(body).slice(0, 300));
      const reply: FakeReply = scripted ? nextReply() : { kind: "text", text: "Fake title" };
      if (reply.kind === "hang") {
        return new Promise<Response>((resolve) => {
          const release = () => resolve(new Response("released", { status: 503 }));
          hanging.add(release);
          req.signal.addEventListener("abort", () => hanging.delete(release));
        });
      }
      if (reply.kind === "error") {
        const type =
          reply.type ??
          (reply.status === 401
            ? "authentication_error"
            : reply.status === 400
              ? "invalid_request_error"
              : "api_error");
        return Response.json(
          { type: "error", error: { type, message: reply.message ?? `fake ${reply.status}` } },
          { status: reply.status },
        );
      }
      if (reply.kind === "text" && reply.delayMs) await Bun.sleep(reply.delayMs);
      const blocks = blocksFor(reply);
      const stopReason = reply.kind === "tool_use" ? "tool_use" : "end_turn";
      if (body.stream)
        return new Response(streamBody(blocks, stopReason), { headers: { "content-type": "text/event-stream" } });
      return Response.json({
        id: `msg_fake${++counter}`,
        type: "message",
        role: "assistant",
        model: MODEL,
        content: blocks,
        stop_reason: stopReason,
        stop_sequence: null,
        usage: usage(),
      });
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port as number,
    requests,
    userTexts() {
      const texts: string[] = [];
      for (const r of requests) {
        if (!r.scripted) continue;
        for (const m of r.body?.messages ?? []) {
          if (m.role !== "user") continue;
          if (typeof m.content === "string") texts.push(m.content);
          else for (const b of m.content ?? []) if (b?.type === "text") texts.push(b.text);
        }
      }
      return texts;
    },
    hangingCount: () => hanging.size,
    script(replies) {
      queue = [...replies];
    },
    async stop() {
      for (const release of hanging) release();
      hanging.clear();
      await server.stop(true);
    },
  };
}
