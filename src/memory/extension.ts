/**
 * The memory helpers of run_python: Python module `bridge_memory` (save_memory, load_memory,
 * update_memory, …) bound as bare names by the prelude, backed by host methods on a MemoryStore.
 */
import { z } from "zod";
import { BridgeError } from "../errors.ts";
import type { HostMethod, SandboxExtension } from "../sandbox/extension.ts";
import memoryPy from "./python/bridge_memory.py" with { type: "text" };
import type { MemoryStore } from "./store.ts";

const keyParams = z.object({ key: z.string() });
const saveParams = z.object({ key: z.string(), value: z.unknown() });
const tokenParams = z.object({ token: z.string() });
const commitParams = z.object({ token: z.string(), value: z.unknown() });

function parse<T>(schema: z.ZodType<T>, params: unknown, method: string): T {
  const r = schema.safeParse(params);
  if (!r.success)
    throw new BridgeError(
      "MEMORY_INVALID",
      `${method}: bad parameters: ${r.error.issues.map((i) => `${i.path.join(".") || "params"}: ${i.message}`).join("; ")}`,
    );
  return r.data;
}

/** Host methods for the memory helpers, by channel name. */
export function memoryMethods(store: MemoryStore): Record<string, HostMethod> {
  return {
    "memory.save": async (p, ctx) => {
      const { key, value } = parse(saveParams, p, "save_memory");
      return { version: await store.save(key, value, ctx.signal) };
    },
    "memory.load": async (p) => {
      const rec = store.read(parse(keyParams, p, "load_memory").key);
      return rec ? { exists: true, value: rec.value } : { exists: false, value: null };
    },
    "memory.delete": async (p, ctx) => ({
      deleted: await store.delete(parse(keyParams, p, "delete_memory").key, ctx.signal),
    }),
    "memory.list": async () => ({ keys: store.list() }),
    "memory.exists": async (p) => ({ exists: store.read(parse(keyParams, p, "memory_exists").key) !== undefined }),
    "memory.info": async (p) => ({ info: store.info(parse(keyParams, p, "get_memory_info").key) ?? null }),
    "memory.begin_update": async (p, ctx) => store.beginUpdate(parse(keyParams, p, "update_memory").key, ctx.signal),
    "memory.commit_update": async (p) => {
      const { token, value } = parse(commitParams, p, "update_memory");
      return store.commitUpdate(token, value);
    },
    "memory.abort_update": async (p) => {
      store.abortUpdate(parse(tokenParams, p, "update_memory").token);
      return { ok: true };
    },
  };
}

/** The sandbox extension for memory: module, prelude binding the bare names, host methods. */
export function memoryExtension(store: MemoryStore): SandboxExtension {
  return {
    modules: { bridge_memory: memoryPy },
    prelude: `__import__("bridge_memory")._install(globals())`,
    prepare: async () => ({}),
    methods: memoryMethods(store),
  };
}
