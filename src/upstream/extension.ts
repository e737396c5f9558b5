/**
 * The MCP proxies of run_python as a SandboxExtension: Python modules `mcp`, `mcp.runtime`,
 * `mcp.proxy`, `mcp.servers`; a prelude that binds the helpers, `mcp_servers` and one `mcp_<alias>` per loaded
 * server; and the host methods (`mcp.*`) those helpers call over the channel.
 */
import type { SandboxExtension } from "../sandbox/extension.ts";
import { upstreamMethods, serverMeta } from "./methods.ts";
import initPy from "./python/mcp_init.py" with { type: "text" };
import proxyPy from "./python/mcp_proxy.py" with { type: "text" };
import runtimePy from "./python/mcp_runtime.py" with { type: "text" };
import serversPy from "./python/mcp_servers.py" with { type: "text" };
import type { UpstreamRegistry } from "./registry.ts";

/** Per-call context handed to the prelude as `__bridge_context__`. */
export interface ProxyContext {
  /** Every usable server's name → alias (for on-demand loading and `mcp.servers.<alias>`). */
  aliases: Record<string, string>;
  /** The servers loaded for this call, with their tools. */
  loaded: Awaited<ReturnType<typeof serverMeta>>[];
}

/** Builds the extension over a registry shared by every call of this process. */
export function upstreamExtension(registry: UpstreamRegistry): SandboxExtension {
  return {
    modules: { mcp: initPy, "mcp.runtime": runtimePy, "mcp.proxy": proxyPy, "mcp.servers": serversPy },
    prelude: `__import__("mcp.runtime", fromlist=["_install"])._install(globals(), __bridge_context__)`,
    async prepare(args, signal): Promise<ProxyContext> {
      const requested = [...new Set(args.servers ?? [])];
      for (const name of requested) await registry.entry(name);
      const aliases = Object.fromEntries(await registry.aliases());
      const loaded = await Promise.all(requested.sort().map((name) => serverMeta(registry, name, signal)));
      return { aliases, loaded };
    },
    methods: upstreamMethods(registry),
  };
}
