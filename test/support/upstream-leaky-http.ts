/**
 * An MCP server over streamable HTTP (in-process, loopback) that repeats the URL it was reached by
 * (with its `?apiKey=…`) everywhere a server's text can reach bridge: a failing resources/read, the
 * progress messages of tool `work`, and the status messages of task-only tool `job`. Each text also
 * names the key alone. For tests that bridge masks these before the model or a log sees them.
 */
import { randomUUID } from "node:crypto";
import { InMemoryTaskMessageQueue, InMemoryTaskStore } from "@modelcontextprotocol/sdk/experimental/tasks";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";

export interface LeakyServer {
  /** The URL to configure, with `?apiKey=<key>`. */
  url: string;
  key: string;
  stop(): Promise<void>;
}

export async function startLeakyServer(key: string): Promise<LeakyServer> {
  let seenUrl = "";
  const server = new McpServer(
    { name: "leaky", version: "1.0.0" },
    {
      capabilities: { tools: {}, resources: {}, tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } },
      taskStore: new InMemoryTaskStore(),
      taskMessageQueue: new InMemoryTaskMessageQueue(),
    },
  );
  const leak = () => `reached at ${seenUrl} (key ${key})`;
  server.registerResource("secret-doc", "leaky://doc", { description: "a document that cannot be read" }, async () => {
    throw new Error(`cannot read leaky://doc ${leak()}`);
  });
  server.registerTool(
    "work",
    { description: "Reports progress, then answers", inputSchema: {} },
    async (_args, extra) => {
      const token = extra._meta?.progressToken;
      if (token !== undefined) {
        for (let i = 1; i <= 2; i++) {
          await extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken: token, progress: i, total: 2, message: `step ${i} ${leak()}` },
          });
        }
      }
      return { content: [{ type: "text", text: "worked" }] };
    },
  );
  server.experimental.tasks.registerToolTask(
    "job",
    { description: "A task-only tool", inputSchema: {}, execution: { taskSupport: "required" } },
    {
      createTask: async (_args, extra) => {
        const task = await extra.taskStore.createTask({ ttl: 60_000, pollInterval: 100 });
        void (async () => {
          await extra.taskStore.updateTaskStatus(task.taskId, "working", `working ${leak()}`);
          await Bun.sleep(400);
          await extra.taskStore.storeTaskResult(task.taskId, "failed", {
            content: [{ type: "text", text: "job failed" }],
            isError: true,
          });
        })();
        return { task };
      },
      getTask: async (_args, extra) => ({ ...(await extra.taskStore.getTask(extra.taskId))! }),
      getTaskResult: async (_args, extra) => (await extra.taskStore.getTaskResult(extra.taskId)) as never,
    },
  );
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() });
  await server.connect(transport);
  const http = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      seenUrl = req.url;
      return transport.handleRequest(req);
    },
  });
  return {
    url: `http://127.0.0.1:${http.port}/mcp?apiKey=${key}`,
    key,
    stop: async () => {
      await server.close().catch(() => {});
      http.stop(true);
    },
  };
}
