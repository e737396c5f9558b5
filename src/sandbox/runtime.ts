/**
 * The in-container runtime's start contract: its embedded source, what it is sent at start and
 * with every reset (init options, a remote engine's copy of the allowed folders) and what it reports
 * back. The frames themselves are written by container.ts.
 */
import commonPy from "./python/common.py" with { type: "text" };
import isolationPy from "./python/isolation.py" with { type: "text" };
import supervisorPy from "./python/supervisor.py" with { type: "text" };
import kernelPy from "./python/kernel.py" with { type: "text" };
import dataPy from "./python/data.py" with { type: "text" };
import { encodeFrame } from "./framing.ts";

/** What the runtime needs at start: extension modules and preludes; warm imports and allowed folders. */
export interface RuntimeInit {
  modules: Record<string, string>;
  preludes: string[];
  /** Modules the supervisor imports before forking kernels; `optional` ones the image lacks are skipped. */
  warm?: { modules: string[]; optional: string[] };
  /** Allowed folders (for clear errors in the sandbox): name, host path, mount point, read-write or not. */
  folders?: Array<{ name: string; host: string; mount: string; writable: boolean }>;
  /** Folders are bind-mounted: the runtime's syscall filter also refuses AF_UNIX sockets (python/isolation.py). */
  denyUnixSockets?: boolean;
  /** A read-write folder is bind-mounted: the filter also refuses mknod and symlink (FIFOs and links planted for host programs). */
  denyPlanting?: boolean;
  /** Container path → why the guard refuses it (special files masked in bind-mounted folders). */
  refused?: Record<string, string>;
}

/** A remote engine's copy of the allowed folders, sent at start and with every reset. */
export interface DataCopy {
  files: Array<{ path: string; data: Uint8Array }>;
  refused: Record<string, string>;
}

/** What the supervisor reported about warm imports. */
export interface WarmReport {
  ok: string[];
  failed: Record<string, string>;
}

/** The in-container runtime, sent over stdin at start (see python/common.py). */
export const RUNTIME_SOURCE = [commonPy, isolationPy, supervisorPy, dataPy, kernelPy].join("\n\n");

/** The `data` field of `init` and `reset` frames: how many `put` frames follow, and the refused paths. */
export function dataHeader(data: DataCopy | undefined): { data?: { files: number; refused: Record<string, string> } } {
  return data ? { data: { files: data.files.length, refused: data.refused } } : {};
}

/**
 * The start handshake, in write order: the runtime source's length (4 bytes, big-endian, read by
 * the bootstrap in argv.ts), the source, then the `init` frame. The folders' `put` frames follow it.
 */
export function startFrames(init: RuntimeInit, data?: DataCopy): [Uint8Array, Uint8Array, Uint8Array] {
  const src = new TextEncoder().encode(RUNTIME_SOURCE);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, src.length);
  return [len, src, encodeFrame({ t: "init", ...init, ...dataHeader(data) })];
}
