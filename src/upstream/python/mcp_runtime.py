"""Helpers for calling other MCP servers from run_python (bound as bare names in every call).

Every helper is async and has a blocking ``_sync`` twin::

    await search_tool_docs("query", limit=5)   # or search_tool_docs_sync(...)

Helpers: discovered_servers(detailed=False), list_servers(), list_tools(server),
describe_server(name), list_loaded_server_metadata(), query_tool_docs(server, tool=None,
detail="summary"|"full"), search_tool_docs(query, limit=5), capability_summary(),
call_tool(server, tool, args, on_progress=None), load_server(name), list_resources(server),
read_resource(server, uri).

Tool results: ``structuredContent`` when the server sends it, else the parsed JSON of the text,
else the text; results with images, audio or blobs are built from their content blocks, the binary
parts as ``bytes`` with ``.mime_type``. Failures raise exceptions that name the server and tool.
Progress: ``call_tool(..., on_progress=fn)`` calls ``fn(event)`` (sync or async) for each
``{"progress", "total", "message", "status"}``; ``mcp_x.tool.stream(...)`` iterates them.
"""
import importlib.abc as _abc
import importlib.util as _util
import sys as _sys

import _bridge
from mcp.proxy import McpBytes, ServerProxy, Tool, ToolCall, decode as _decode, tool_module as _tool_module  # noqa: F401

__all__ = [
    "discovered_servers", "list_servers", "list_tools", "describe_server",
    "list_loaded_server_metadata", "query_tool_docs", "search_tool_docs",
    "capability_summary", "call_tool", "load_server", "list_resources", "read_resource",
]

_state = {"aliases": {}, "loaded": {}, "namespace": None, "servers": None}


class _ServerDict(dict):
    """``mcp_servers["name"]``: loaded servers by name; a missing allowed one is loaded on demand."""

    def __missing__(self, name):
        return load_server_sync(name)


class _ServerModuleFinder(_abc.MetaPathFinder, _abc.Loader):
    """Makes ``import mcp.servers.<alias>`` work for loaded and (on demand) other servers."""

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith("mcp.servers.") or fullname.count(".") != 2:
            return None
        return _util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        alias = spec.name.rsplit(".", 1)[1]
        name = next((n for n, a in _state["aliases"].items() if a == alias), None)
        if name is None:
            raise ModuleNotFoundError(f"no MCP server with alias {alias!r}; aliases: {', '.join(sorted(_state['aliases'].values())) or 'none'}", name=spec.name)
        proxy = _state["loaded"].get(name) or load_server_sync(name)
        return _sys.modules.get(spec.name) or _tool_module(proxy)

    def exec_module(self, module):
        pass


def _bind(meta):
    proxy = ServerProxy(meta)
    _state["loaded"][proxy.name] = proxy
    ns = _state["namespace"]
    if ns is not None:
        ns["mcp_" + proxy.alias] = proxy
    if _state["servers"] is not None:
        dict.__setitem__(_state["servers"], proxy.name, proxy)
    mod = _tool_module(proxy)
    _sys.modules[mod.__name__] = mod
    setattr(_servers_package(), proxy.alias, mod)
    return proxy


def _servers_package():
    import importlib
    return importlib.import_module("mcp.servers")


async def load_server(name):
    """Load an allowed server for the rest of this call: binds ``mcp_<alias>`` and returns its proxy."""
    if name in _state["loaded"]:
        return _state["loaded"][name]
    return _bind(await _bridge.call("mcp.load_server", {"name": name}))


def load_server_sync(name):
    if name in _state["loaded"]:
        return _state["loaded"][name]
    return _bind(_bridge.call_sync("mcp.load_server", {"name": name}))


async def call_tool(server, tool, args=None, *, on_progress=None):
    """Call ``tool`` of any allowed ``server`` with a dict of arguments (checked against its schema).
    ``on_progress(event)`` (sync or async) gets each progress event the server reports."""
    if on_progress is None:
        return _decode(await _bridge.call("mcp.call_tool", {"server": server, "tool": tool, "args": args or {}}))
    call = ToolCall(server, tool, args or {})
    async for event in call:
        r = on_progress(event)
        if hasattr(r, "__await__"):
            await r
    return call.result


def call_tool_sync(server, tool, args=None, *, on_progress=None):
    if on_progress is None:
        return _decode(_bridge.call_sync("mcp.call_tool", {"server": server, "tool": tool, "args": args or {}}))
    call = ToolCall(server, tool, args or {})
    for event in call:
        on_progress(event)
    return call.result


def _resource_args(server, uri):
    if isinstance(server, dict) and uri is None:  # a resource_link a tool returned
        server, uri = server.get("server"), server.get("uri")
    if not isinstance(server, str) or not isinstance(uri, str):
        raise TypeError("read_resource(server, uri) or read_resource(link) with a resource_link a tool returned")
    return {"server": server, "uri": uri}


async def read_resource(server, uri=None):
    """Read a resource of ``server`` by URI (or pass a ``resource_link`` a tool returned): text as
    ``{"uri", "mimeType", "text"}``, binary as ``bytes`` with ``.mime_type``; several contents → a list."""
    return _decode(await _bridge.call("mcp.read_resource", _resource_args(server, uri)))


def read_resource_sync(server, uri=None):
    return _decode(_bridge.call_sync("mcp.read_resource", _resource_args(server, uri)))


async def list_resources(server):
    """A server's resources: ``[{"uri", "name", "title", "description", "mimeType"}]``."""
    return await _bridge.call("mcp.list_resources", {"server": server})


def list_resources_sync(server):
    return _bridge.call_sync("mcp.list_resources", {"server": server})


async def discovered_servers(detailed=False):
    """Every allowed server's name (``detailed=True``: dicts with alias, transport, source, loaded)."""
    return await _bridge.call("mcp.discovered_servers", {"detailed": bool(detailed), "loaded": sorted(_state["loaded"])})


def discovered_servers_sync(detailed=False):
    return _bridge.call_sync("mcp.discovered_servers", {"detailed": bool(detailed), "loaded": sorted(_state["loaded"])})


async def list_servers():
    """Names of the servers loaded in this call."""
    return sorted(_state["loaded"])


def list_servers_sync():
    return sorted(_state["loaded"])


def _loaded_metadata():
    return [
        {"name": p.name, "alias": p.alias, "variable": "mcp_" + p.alias, "tools": sorted(t.name for t in p._tools.values())}
        for p in sorted(_state["loaded"].values(), key=lambda p: p.name)
    ]


async def list_loaded_server_metadata():
    """Name, alias, Python variable and tool names of each loaded server."""
    return _loaded_metadata()


def list_loaded_server_metadata_sync():
    return _loaded_metadata()


async def list_tools(server):
    """A server's tools: ``[{"name", "description", "params"}]`` (loaded or not)."""
    return await _bridge.call("mcp.list_tools", {"server": server})


def list_tools_sync(server):
    return _bridge.call_sync("mcp.list_tools", {"server": server})


async def describe_server(name):
    """What bridge knows about a server: transport, config source, tools, server info."""
    return await _bridge.call("mcp.describe_server", {"name": name, "loaded": sorted(_state["loaded"])})


def describe_server_sync(name):
    return _bridge.call_sync("mcp.describe_server", {"name": name, "loaded": sorted(_state["loaded"])})


async def query_tool_docs(server, tool=None, detail="summary"):
    """Docs of one tool or all tools of a server; ``detail="full"`` adds descriptions and JSON schemas."""
    return await _bridge.call("mcp.query_tool_docs", {"server": server, "tool": tool, "detail": detail})


def query_tool_docs_sync(server, tool=None, detail="summary"):
    return _bridge.call_sync("mcp.query_tool_docs", {"server": server, "tool": tool, "detail": detail})


def _report_unavailable(r):
    for u in r.get("unavailable", []):
        print(f"search_tool_docs: not searched: {u['server']}: {u['error']}", file=_sys.stderr)
    for s in r.get("stale", []):
        print(f"search_tool_docs: {s['server']}: searched its tool list from {s['saved_at']} (may be outdated): {s['reason']}", file=_sys.stderr)
    return r["results"]


async def search_tool_docs(query, limit=5):
    """Ranked (BM25) search over the tools of every allowed server, loaded or not:
    ``[{"server", "tool", "description", "score"}]``, best first. Answers within a few seconds:
    servers that could not be listed in time are named on stderr (listing goes on in the background)."""
    return _report_unavailable(await _bridge.call("mcp.search_tool_docs", {"query": query, "limit": limit}))


def search_tool_docs_sync(query, limit=5):
    return _report_unavailable(_bridge.call_sync("mcp.search_tool_docs", {"query": query, "limit": limit}))


async def capability_summary():
    """A short markdown overview: loaded servers and their tools, other servers, helpers."""
    return await _bridge.call("mcp.capability_summary", {"loaded": sorted(_state["loaded"])})


def capability_summary_sync():
    return _bridge.call_sync("mcp.capability_summary", {"loaded": sorted(_state["loaded"])})


_finder = _ServerModuleFinder()


def _install(namespace, context):
    """Per call: forget the previous call's servers, bind helpers, ``mcp_servers`` and ``mcp_<alias>``."""
    for key in [k for k in _sys.modules if k.startswith("mcp.servers.")]:
        del _sys.modules[key]
    parent = _servers_package()
    for alias in list(_state["aliases"].values()):
        parent.__dict__.pop(alias, None)
    if _finder not in _sys.meta_path:
        _sys.meta_path.insert(0, _finder)
    _state["aliases"] = dict(context.get("aliases", {}))
    _state["loaded"] = {}
    _state["namespace"] = namespace
    _state["servers"] = _ServerDict()
    g = globals()
    for name in __all__:
        namespace[name] = g[name]
        namespace[name + "_sync"] = g[name + "_sync"]
    namespace["mcp_servers"] = _state["servers"]
    for meta in context.get("loaded", []):
        _bind(meta)
