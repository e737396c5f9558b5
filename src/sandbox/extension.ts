/**
 * How other concerns plug into the sandbox without the sandbox knowing them: the MCP proxies and
 * the memory helpers each ship Python modules, a per-call context, and host methods that Python
 * code calls through the channel (`_bridge.call(method, params)` / `_bridge.call_sync(...)`).
 */

/** What a host method receives besides its params. */
export interface HostCallContext {
  /** Aborted when the run_python call ends (timeout, cancel, or completion). */
  signal: AbortSignal;
  /** Names of the servers loaded for this call (from the `servers` argument). */
  servers: string[];
  /** The client side of the call running this code (serve: the run_python tools/call); absent in `bridge run`. */
  origin?: CallOrigin;
}

/**
 * The client that asked for a run, for host methods that must talk back to it while the run goes
 * on (serve forwards an upstream server's sampling/elicitation requests and progress this way).
 */
export interface CallOrigin {
  /** Sends a request to that client, related to the call; resolves with the client's result object. */
  request(
    method: string,
    params: Record<string, unknown>,
    options: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<Record<string, unknown>>;
  /** Reports a progress message for the call, when the client asked for progress; otherwise does nothing. */
  progress(message: string): void;
}

/** A host method callable from Python. Throw a BridgeError for a clear error in Python. */
export type HostMethod = (params: any, ctx: HostCallContext) => Promise<unknown>;

export interface SandboxExtension {
  /**
   * Python modules installed in the sandbox interpreter: dotted module name → source text. They
   * are imported once per container before the interpreter that runs calls is forked, so they must
   * not start threads or open connections at import time.
   */
  modules: Record<string, string>;
  /**
   * Python statements run in each call's fresh globals before user code. The per-call context
   * from `prepare` is bound as `__bridge_context__` while they run.
   */
  prelude: string;
  /** Builds the per-call context (JSON-serialisable); may throw BridgeError (e.g. unknown server). */
  prepare(args: { servers?: string[] }, signal: AbortSignal): Promise<unknown>;
  /** Host methods, by name (namespaced: `mcp.call_tool`, `memory.save`, ...). */
  methods: Record<string, HostMethod>;
}
