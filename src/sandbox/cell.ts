/**
 * One cell in one container: runs the code with its handlers (output, images, result files, host
 * calls), races it against the timeout and the client's cancel, and turns what the sandbox reported
 * into a RunOutcome — plus whether the container may serve again (`keep`) and, for a session, why
 * its state is gone (`lost`). Everything from the sandbox is checked here or below (images.ts,
 * result-files.ts, messages.ts). Used by SandboxService (service.ts).
 */
import type { Config } from "../config/index.ts";
import { formatBytes, formatDuration } from "../config/index.ts";
import { BridgeError, describeError } from "../errors.ts";
import { OutputCollector } from "../output/collector.ts";
import type { RunOutcome } from "../output/format.ts";
import type { DoneMessage, SandboxContainer } from "./container.ts";
import type { CallOrigin, HostMethod } from "./extension.ts";
import { missingModuleHint } from "./image/hint.ts";
import { checkImage, MAX_IMAGE_BYTES, MAX_IMAGES } from "./images.ts";
import { ResultFileCollector, saveResultFiles } from "./result-files.ts";

/** One call to run. */
export interface RunRequest {
  code: string;
  /** Milliseconds; default config.timeout, capped at config.maxTimeout. */
  timeoutMs?: number;
  session?: string;
  servers?: string[];
  signal?: AbortSignal;
  /** Streams decoded output as it arrives (progress notifications, terminal). */
  onOutput?: (text: string) => void;
  /** The client that asked for the run, handed to host methods (see CallOrigin). */
  origin?: CallOrigin;
}

const encoder = new TextEncoder();

type CellConfig = Pick<Config, "maxOutput" | "memory" | "image">;

/** What a cell needs from the service that runs it. */
export interface CellContext {
  config: CellConfig;
  methods: ReadonlyMap<string, HostMethod>;
  /** The host folder result files are saved to (MCP_BRIDGE_OUTPUT_FOLDER), if any. */
  outputFolder(): string | undefined;
  /** Ends containers; `force` kills them first. */
  remove(containers: SandboxContainer[], force?: boolean): Promise<void>;
}

/** Runs the request in container `c`. `keep`: the container may serve again; `lost`: why a session's state is gone. */
export async function runCell(
  ctx: CellContext,
  c: SandboxContainer,
  req: RunRequest,
  contexts: unknown[],
  timeoutMs: number,
  signal: AbortSignal,
  session?: string,
): Promise<RunOutcome & { keep: boolean; lost?: string }> {
  const output = new OutputCollector(ctx.config.maxOutput);
  const files = new ResultFileCollector();
  const note = (text: string) => output.push(encoder.encode(`[bridge: ${text}]\n`));
  const images: Uint8Array[] = [];
  let imageBytes = 0;
  let imagesDropped = false;
  const text = new TextDecoder();
  const servers = req.servers ?? [];
  const done = c.exec(
    req.code,
    contexts,
    {
      onOutput: (chunk) => {
        output.push(chunk);
        req.onOutput?.(text.decode(chunk, { stream: true }));
      },
      onImage: (bytes, dropped) => {
        const check =
          dropped === undefined
            ? checkImage(bytes)
            : { ok: false as const, reason: `${dropped} bytes, more than ${formatBytes(MAX_IMAGE_BYTES)}` };
        if (!check.ok) return output.push(encoder.encode(`\n[bridge: image dropped: ${check.reason}]\n`));
        imageBytes += bytes.length;
        if (images.length < MAX_IMAGES && imageBytes <= MAX_IMAGE_BYTES) return void images.push(bytes);
        if (!imagesDropped)
          output.push(
            encoder.encode(
              `\n[bridge: image dropped: at most ${MAX_IMAGES} images and ${formatBytes(MAX_IMAGE_BYTES)} of images per call]\n`,
            ),
          );
        imagesDropped = true;
      },
      onFile: (header, body, dropped) => files.push(header, body, dropped),
      onCall: (method, params) => {
        const fn = ctx.methods.get(method);
        if (!fn)
          throw new BridgeError("USAGE", `unknown host method "${method}"`, {
            hint: `known: ${[...ctx.methods.keys()].join(", ") || "none"}`,
          });
        return fn(params, { signal, servers, origin: req.origin });
      },
    },
    ctx.config.maxOutput,
  );
  let timer: Timer | undefined;
  const stopped = new Promise<"timeout" | "cancelled">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
    if (signal.aborted) resolve("cancelled");
    signal.addEventListener("abort", () => resolve("cancelled"), { once: true });
  });
  const base = { images } as const;
  const lostState = (why: string) =>
    session === undefined ? "" : ` Session "${session}" lost its state (${why}): the next call in it starts fresh.`;
  try {
    const first = await Promise.race([done, stopped]);
    if (first === "timeout" || first === "cancelled") {
      done.catch(() => {});
      await ctx.remove([c], true);
      const lost =
        first === "timeout"
          ? `the call before timed out after ${formatDuration(timeoutMs)}`
          : "the call before was cancelled";
      const why =
        first === "timeout"
          ? `timed out after ${formatDuration(timeoutMs)}: the container was killed and removed; output up to that point is shown.${lostState("timeout")}`
          : `cancelled by the client: the container was killed and removed.${lostState("cancelled")}`;
      return { ...base, keep: false, lost, status: first, output: output.result(), error: why };
    }
    const results = files.files();
    const folder = ctx.outputFolder();
    for (const n of [...files.notes, ...(folder ? saveResultFiles(results, folder) : [])]) note(n);
    const mapped = mapDone(ctx.config, first);
    if (!first.kernelDied && !first.discard)
      return { ...base, ...mapped, output: output.result(), files: results, keep: true };
    const lost = first.discard
      ? "the call before sent an end-of-run message bridge refused, so its container was discarded"
      : first.status === "killed" && first.signal === 9 && first.oomKilled !== false
        ? `the call before was killed, ${first.oomKilled ? "for exceeding" : "most likely for exceeding"} the memory limit (${ctx.config.memory})`
        : "the Python process of the call before ended";
    const why = first.discard
      ? "its container was discarded"
      : first.status === "killed"
        ? "killed"
        : "its Python process ended";
    const error =
      session === undefined
        ? mapped.error
        : `${mapped.error ? `${mapped.error.replace(/\.?\s*$/, ".")}` : ""}${lostState(why)}`.trim();
    return {
      ...base,
      ...mapped,
      ...(error ? { error } : {}),
      output: output.result(),
      files: results,
      keep: false,
      lost,
    };
  } catch (err) {
    void ctx.remove([c], true);
    const msg = describeError(err);
    // Exit code 137: the container's init was SIGKILLed (the OOM killer, or `kill`); anything else is no evidence of memory.
    const oom = /exit code 137\b/.test(msg);
    const reason = oom
      ? `${msg}. The container was killed: most likely the code exceeded the memory limit (${ctx.config.memory}).`
      : `${msg}. The container was discarded.`;
    const lost = oom
      ? `the container of the call before was killed (most likely the memory limit, ${ctx.config.memory})`
      : "the container of the call before stopped";
    return {
      ...base,
      keep: false,
      lost,
      status: "killed",
      output: output.result(),
      error: `${reason}${lostState("its container stopped")}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

function mapDone(config: CellConfig, d: DoneMessage): Omit<RunOutcome, "output" | "images"> {
  switch (d.status) {
    case "ok":
      return {
        status: "ok",
        ...(d.value !== undefined
          ? {
              value: capText(d.value, config.maxOutput),
              ...(d.valueTotal !== undefined ? { valueTotalBytes: d.valueTotal } : {}),
            }
          : {}),
      };
    case "error": {
      const error = capText(d.error ?? "error", config.maxOutput);
      const hint = missingModuleHint(error, config.image);
      return {
        status: "error",
        error: hint ? `${error.replace(/\n$/, "")}\n${hint}\n` : error,
        ...(d.errorTotal !== undefined ? { errorTotalBytes: d.errorTotal } : {}),
      };
    }
    case "exit":
      return { status: "exit", exitCode: d.exitCode ?? 0 };
    case "killed": {
      const limit = config.memory;
      const why = d.oomKilled
        ? `the Python process was killed: it exceeded the memory limit (${limit})`
        : d.signal !== 9
          ? `the Python process was killed by signal ${d.signal ?? "(unknown)"}`
          : d.oomKilled === false
            ? `the Python process was killed by SIGKILL (not by the memory limit of ${limit}: the container recorded no out-of-memory kill)`
            : `the Python process was killed (SIGKILL): most likely it exceeded the memory limit (${limit})`;
      return { status: "killed", error: why };
    }
  }
}

function capText(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  const c = new OutputCollector(max);
  c.push(encoder.encode(text));
  return c.result().text;
}
