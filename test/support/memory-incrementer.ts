/** Test helper process: `bun memory-incrementer.ts DIR KEY N` increments KEY N times like update_memory does. */
import { MemoryStore } from "../../src/memory/store.ts";

const [dir, key, n] = process.argv.slice(2) as [string, string, string];
const store = new MemoryStore({ dir });
let conflicts = 0;
for (let i = 0; i < Number(n); i++) {
  for (;;) {
    const u = await store.beginUpdate(key);
    const r = await store.commitUpdate(u.token, ((u.value as number | null) ?? 0) + 1);
    if (!r.conflict) break;
    conflicts++;
  }
}
process.stdout.write(`${conflicts}\n`);
