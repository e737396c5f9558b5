/** Validation of host-method parameters (they come from sandboxed code): one error style for all. */
import { z } from "zod";
import { BridgeError } from "../errors.ts";

/** A server, tool or resource-server name. */
export const nameSchema = z.string().min(1).max(256);

/** Parses `params` with `schema`; a mismatch is a USAGE error naming the helper and each bad field. */
export function parseParams<T>(schema: z.ZodType<T>, params: unknown, helper: string): T {
  const r = schema.safeParse(params ?? {});
  if (r.success) return r.data;
  const why = r.error.issues.map((i) => `${i.path.join(".") || "arguments"}: ${i.message}`).join("; ");
  throw new BridgeError("USAGE", `${helper}: ${why}`);
}
