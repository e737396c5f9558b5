/** The run_python definition as clients see it: small (≤ 300 o200k tokens) and accurately annotated. */
import { expect, test } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { RUN_PYTHON, runPythonAnnotations } from "../../../src/mcp/tools/run-python.ts";

async function listed() {
  const server = new McpServer({ name: "t", version: "1" });
  server.registerTool(RUN_PYTHON.name, { description: RUN_PYTHON.description, inputSchema: RUN_PYTHON.inputShape, outputSchema: RUN_PYTHON.outputShape, annotations: runPythonAnnotations(false) }, async () => ({ content: [] }));
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: "c", version: "1" });
  await client.connect(b);
  const { tools } = await client.listTools();
  await client.close();
  return tools[0]!;
}

test("name + description + input/output schemas fit in 300 o200k tokens", async () => {
  const tool = await listed();
  const tokens = countTokens(JSON.stringify({ name: tool.name, description: tool.description, inputSchema: tool.inputSchema, outputSchema: tool.outputSchema }));
  console.error(`run_python definition: ${tokens} o200k tokens`);
  expect(tokens).toBeLessThanOrEqual(300);
  expect(Object.keys(tool.inputSchema.properties ?? {})).toEqual(["code", "timeout", "session", "servers"]);
  expect(tool.inputSchema.required).toEqual(["code"]);
});

test("annotations are explicit: not read-only; destructive/open-world only when extensions reach other servers", () => {
  expect(runPythonAnnotations(false)).toEqual({ readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false });
  expect(runPythonAnnotations(true)).toEqual({ readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true });
});
