/**
 * Run by test/security/memory-store.test.ts inside a private mount namespace with a tiny tmpfs at
 * the parent of argv[2]: fills the memory store until the disk is full, then reports (JSON on
 * stdout) the error, the files left behind besides the values, and whether a save works again
 * once a key is deleted.
 */
import { readdirSync } from "node:fs";
import { MemoryStore } from "../../src/memory/store.ts";

const dir = process.argv[2]!;
const store = new MemoryStore({ dir, maxValueBytes: 1024 * 1024, maxTotalBytes: 1024 * 1024 * 1024 });
let error = "";
let i = 0;
for (; i < 100; i++) {
  try {
    await store.save(`k${i}`, "x".repeat(40_000));
  } catch (err) {
    error = `${(err as Error).message} ${(err as NodeJS.ErrnoException).code ?? ""} ${String((err as Error).cause ?? "")}`;
    break;
  }
}
const leftovers = readdirSync(dir).filter((f) => !/^k\d+\.json$/.test(f));
// Every stored value must still be whole (a short write must not pass for a complete file).
for (let j = 0; j < i; j++)
  if (store.read(`k${j}`)?.value !== "x".repeat(40_000)) leftovers.push(`k${j}.json is damaged`);
let savedAfterFreeing = false;
try {
  await store.delete("k0");
  await store.delete("k1");
  await store.save(`k${i}`, "after");
  savedAfterFreeing = store.read(`k${i}`)?.value === "after";
} catch (err) {
  error += ` | after freeing: ${(err as Error).message}`;
}
process.stdout.write(JSON.stringify({ error, leftovers, savedAfterFreeing }));
