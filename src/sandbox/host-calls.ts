/**
 * Answering host-method calls from a cell within budgets, so a cell cannot make serve buffer
 * without bound: parameter bytes per call and in flight, JSON values and nesting in flight, result
 * size, and reply bytes the container has not read yet (limits in messages.ts).
 */
import { BridgeError } from "../errors.ts";
import { encodeFrame, type Frame } from "./framing.ts";
import {
  CALL_BYTES_IN_FLIGHT,
  CALL_VALUES_IN_FLIGHT,
  MAX_CALL_BYTES,
  MAX_CALL_DEPTH,
  REPLY_BYTES_QUEUED,
  jsonShape,
  parseCall,
} from "./messages.ts";

/** Runs one host method for a cell: resolves with a JSON-able result or throws. */
export type CallHandler = (method: string, params: unknown) => Promise<unknown>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The host-call budgets of one container's channel; replies go through `write` (the engine client's stdin). */
export class HostCalls {
  /** Parameter bytes of host calls being handled, and reply bytes not yet written to the container. */
  private callBytes = 0;
  /** JSON values in the parameters of host calls being handled (parsed, they weigh far more than their bytes). */
  private callValues = 0;
  private replyBytes = 0;

  constructor(private readonly write: (data: Uint8Array) => Promise<void>) {}

  /**
   * Runs the host call in `frame` (a `call` frame) with `onCall` and writes the reply, unless the
   * cell is no longer `current()` by then. Each refusal is an error reply the cell sees as
   * BridgeCallError. A write error is ignored: the container is gone and the cell fails through
   * the channel.
   */
  async answer({ header, body, dropped }: Frame, onCall: CallHandler, current: () => boolean): Promise<void> {
    const call = parseCall(header);
    if (!call) return; // no call id: nothing can be answered
    const { cid, method } = call;
    let reply: Uint8Array;
    const size = body.length;
    try {
      if (call.problem) throw new BridgeError("USAGE", call.problem);
      if (dropped !== undefined)
        throw new BridgeError(
          "USAGE",
          `host call ${method}: its parameters are ${dropped} bytes, more than the ${MAX_CALL_BYTES} bytes one call may send`,
          { hint: "Send less data per call." },
        );
      if (this.callBytes + size > CALL_BYTES_IN_FLIGHT) {
        throw new BridgeError(
          "USAGE",
          `host call ${method}: ${this.callBytes} bytes of parameters are already being handled; at most ${CALL_BYTES_IN_FLIGHT} may be in flight`,
          { hint: "Wait for earlier calls to finish." },
        );
      }
      const shape = size ? jsonShape(body, CALL_VALUES_IN_FLIGHT, MAX_CALL_DEPTH) : { values: 0, depth: 0 };
      if (shape.depth > MAX_CALL_DEPTH)
        throw new BridgeError(
          "USAGE",
          `host call ${method}: its parameters are nested more than ${MAX_CALL_DEPTH} levels deep`,
          { hint: "Send flatter data." },
        );
      if (this.callValues + shape.values > CALL_VALUES_IN_FLIGHT) {
        throw new BridgeError(
          "USAGE",
          `host call ${method}: its parameters hold ${shape.values > CALL_VALUES_IN_FLIGHT ? `more than ${CALL_VALUES_IN_FLIGHT}` : shape.values} JSON values and ${this.callValues} are already being handled; at most ${CALL_VALUES_IN_FLIGHT} may be in flight`,
          {
            hint: "Send fewer, larger values (e.g. one string instead of a list of many small items), or wait for earlier calls to finish.",
          },
        );
      }
      this.callBytes += size;
      this.callValues += shape.values;
      let result: unknown;
      try {
        const params = size ? JSON.parse(decoder.decode(body)) : null;
        result = await onCall(method, params);
      } finally {
        this.callBytes -= size;
        this.callValues -= shape.values;
      }
      const json = encoder.encode(JSON.stringify(result ?? null));
      if (json.length > MAX_CALL_BYTES)
        throw new BridgeError(
          "USAGE",
          `host call ${method}: its result is ${json.length} bytes, more than the ${MAX_CALL_BYTES} bytes a call may return`,
        );
      if (this.replyBytes + json.length > REPLY_BYTES_QUEUED) {
        throw new BridgeError(
          "USAGE",
          `host call ${method}: the sandbox has not read ${this.replyBytes} bytes of earlier results; its result was not sent`,
          { hint: "Read the results of earlier calls first." },
        );
      }
      reply = encodeFrame({ t: "reply", cid, ok: true }, json);
    } catch (err) {
      const text =
        err instanceof BridgeError && err.hint
          ? `${err.message}\n  → ${err.hint}`
          : err instanceof Error
            ? err.message
            : String(err);
      // Headers stay small (the runtime rejects headers over 1 MiB): long messages are cut.
      reply = encodeFrame({
        t: "reply",
        cid,
        ok: false,
        error: text.length > 65536 ? `${text.slice(0, 65536)} [...]` : text,
      });
    }
    if (!current()) return;
    this.replyBytes += reply.length;
    try {
      await this.write(reply);
    } catch {
      // the container is gone; the cell fails through the channel
    } finally {
      this.replyBytes -= reply.length;
    }
  }
}
