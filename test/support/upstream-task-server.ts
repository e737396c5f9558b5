/**
 * A stdio MCP server whose tools must be called as tasks (`execution.taskSupport: "required"`):
 * `report(steps)` works through `steps` half-second stages, updating its status message, then returns
 * a text; `stuck()` never finishes (for timeout and tasks/cancel tests: `was_cancelled()` says whether
 * bridge cancelled it). Built on the SDK's experimental task API, like server-everything's research tool.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { InMemoryTaskMessageQueue, InMemoryTaskStore } from "@modelcontextprotocol/sdk/experimental/tasks";
import { z } from "zod";

const taskStore = new InMemoryTaskStore();
const server = new McpServer(
  { name: "task-only", version: "1.0.0" },
  {
    capabilities: { tools: {}, tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } },
    taskStore,
    taskMessageQueue: new InMemoryTaskMessageQueue(),
  },
);

server.experimental.tasks.registerToolTask(
  "report",
  {
    description: "Writes a report in `steps` stages (a task: poll it)",
    inputSchema: { steps: z.number() },
    execution: { taskSupport: "required" },
  },
  {
    createTask: async ({ steps }, extra) => {
      const task = await extra.taskStore.createTask({ ttl: 60_000, pollInterval: 200 });
      void (async () => {
        for (let i = 1; i <= steps; i++) {
          await extra.taskStore.updateTaskStatus(task.taskId, "working", `stage ${i} of ${steps}`);
          await Bun.sleep(500);
        }
        await extra.taskStore.storeTaskResult(task.taskId, "completed", {
          content: [{ type: "text", text: `report done in ${steps} stages` }],
        });
      })();
      return { task };
    },
    getTask: async (_args, extra) => ({ ...(await extra.taskStore.getTask(extra.taskId))! }),
    getTaskResult: async (_args, extra) => (await extra.taskStore.getTaskResult(extra.taskId)) as never,
  },
);

server.experimental.tasks.registerToolTask(
  "stuck",
  { description: "Never finishes", inputSchema: {}, execution: { taskSupport: "required" } },
  {
    createTask: async (_args, extra) => {
      const task = await extra.taskStore.createTask({ ttl: 600_000, pollInterval: 200 });
      await extra.taskStore.updateTaskStatus(task.taskId, "working", "waiting forever");
      return { task };
    },
    getTask: async (_args, extra) => ({ ...(await extra.taskStore.getTask(extra.taskId))! }),
    getTaskResult: async (_args, extra) => (await extra.taskStore.getTaskResult(extra.taskId)) as never,
  },
);

server.registerTool(
  "was_cancelled",
  { description: "How many stuck tasks were cancelled", inputSchema: {} },
  async () => {
    const { tasks } = await taskStore.listTasks();
    return { content: [{ type: "text", text: String(tasks.filter((t) => t.status === "cancelled").length) }] };
  },
);

await server.connect(new StdioServerTransport());
process.stdin.on("end", () => process.exit(0));
