"""Proxy objects for upstream MCP servers: ``Tool`` (one tool) and ``ServerProxy`` (``mcp_<alias>``).

Calls go through ``mcp.runtime.call_tool`` so every path shares one argument check and error style.
"""
import base64 as _base64
import types as _types


def _rt():
    import mcp.runtime
    return mcp.runtime


def decode(value):
    """Turn ``{"__bytes__": base64, "mimeType": ...}`` markers into bytes, recursively."""
    if isinstance(value, dict):
        if "__bytes__" in value and set(value) <= {"__bytes__", "mimeType"} and isinstance(value["__bytes__"], str):
            return _base64.b64decode(value["__bytes__"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def _tool_args(server, tool, args, kwargs):
    if args is not None and not isinstance(args, dict):
        raise TypeError(f"{server}.{tool}: pass keyword arguments or one dict of arguments, not {type(args).__name__}")
    merged = dict(args or {})
    merged.update(kwargs)
    return merged


class Tool:
    """One upstream tool. ``await tool(**kwargs)`` calls it; ``tool.sync(**kwargs)`` blocks."""

    def __init__(self, server, meta):
        self.server = server
        self.name = meta["name"]
        self.params = meta.get("params", [])
        self.required = meta.get("required", [])
        self.__doc__ = f"{server}.{self.name}({', '.join(self.params)}): {meta.get('description', '')}"

    async def __call__(self, args=None, /, **kwargs):
        return await _rt().call_tool(self.server, self.name, _tool_args(self.server, self.name, args, kwargs))

    def sync(self, args=None, /, **kwargs):
        """Blocking call."""
        return _rt().call_tool_sync(self.server, self.name, _tool_args(self.server, self.name, args, kwargs))

    def __repr__(self):
        return f"<tool {self.server}.{self.name}({', '.join(self.params)})>"


class ServerProxy:
    """An upstream server. Tools are attributes (``await srv.tool(x=1)``, ``srv.tool_sync(x=1)``);
    a tool whose name clashes with a helper or is not an identifier: ``await srv.call("name", x=1)``."""

    def __init__(self, meta):
        self.name = meta["name"]
        self.alias = meta["alias"]
        self._meta = meta
        self._tools = {t["attr"]: Tool(self.name, t) for t in meta["tools"]}
        self._by_name = {t.name: t for t in self._tools.values()}

    def __getattr__(self, attr):
        tools = self.__dict__.get("_tools", {})
        if attr in tools:
            return tools[attr]
        if attr.endswith("_sync") and attr[:-5] in tools:
            return tools[attr[:-5]].sync
        raise AttributeError(f"server {self.__dict__.get('name')!r} has no tool {attr!r}; tools: {', '.join(sorted(tools)) or 'none'}")

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._tools) | {a + "_sync" for a in self._tools})

    def __repr__(self):
        return f"<MCP server {self.name!r}: {len(self._tools)} tools: {', '.join(sorted(self._tools))}>"

    def tool(self, name):
        """The Tool object for a tool name (original or Python attribute name)."""
        t = self._by_name.get(name) or self._tools.get(name)
        if t is None:
            raise AttributeError(f"server {self.name!r} has no tool {name!r}; tools: {', '.join(sorted(self._by_name))}")
        return t

    async def call(self, tool, args=None, /, **kwargs):
        """Call a tool by its original name."""
        return await _rt().call_tool(self.name, tool, _tool_args(self.name, tool, args, kwargs))

    def call_sync(self, tool, args=None, /, **kwargs):
        """Blocking :meth:`call`."""
        return _rt().call_tool_sync(self.name, tool, _tool_args(self.name, tool, args, kwargs))

    async def list_tools(self):
        """This server's tools: name, one-line description, parameters."""
        return await _rt().list_tools(self.name)

    def list_tools_sync(self):
        return _rt().list_tools_sync(self.name)

    async def describe(self):
        return await _rt().describe_server(self.name)

    def describe_sync(self):
        return _rt().describe_server_sync(self.name)


def tool_module(proxy):
    mod = _types.ModuleType(f"mcp.servers.{proxy.alias}", f"Tools of MCP server {proxy.name!r} (async; *_sync twins block).")
    names = []
    for attr, tool in proxy._tools.items():
        setattr(mod, attr, tool)
        setattr(mod, attr + "_sync", tool.sync)
        names += [attr, attr + "_sync"]
    mod.server = proxy
    mod.__all__ = names
    return mod
