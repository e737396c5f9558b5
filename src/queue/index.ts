/** The file queue: `openQueue` for submitters (serve tools), layout and store for the worker. */
export { openQueue, startCommandFor } from "./client.ts";
export { queueLayout, ensureLayout, type QueueLayout } from "./layout.ts";
export { readSecret, initToken } from "./token.ts";
export { readHeartbeats } from "./store.ts";
export { workerLiveness, offlineReason } from "./liveness.ts";
export type * from "./types.ts";
