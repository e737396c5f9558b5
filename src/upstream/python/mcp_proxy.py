"""Proxy objects for upstream MCP servers: ``Tool`` (one tool) and ``ServerProxy`` (``mcp_<alias>``).

Calls go through ``mcp.runtime.call_tool`` so every path shares one argument check and error style.
"""
import base64 as _base64
import types as _types


def _rt():
    import mcp.runtime
    return mcp.runtime


class McpBytes(bytes):
    """Binary content from an MCP server (image, audio, resource blob): ``bytes`` that also carry
    ``mime_type`` (e.g. ``"image/png"``) and, for resources, ``uri``. ``show_image(b)`` accepts them."""

    mime_type = None
    uri = None

    def __repr__(self):
        return f"<{len(self)} bytes {self.mime_type or 'of unknown type'}{' from ' + self.uri if self.uri else ''}>"


def decode(value):
    """Turn ``{"__bytes__": base64, "mimeType": ..., "uri"?: ...}`` markers into McpBytes, recursively."""
    if isinstance(value, dict):
        if "__bytes__" in value and set(value) <= {"__bytes__", "mimeType", "uri"} and isinstance(value["__bytes__"], str):
            b = McpBytes(_base64.b64decode(value["__bytes__"]))
            b.mime_type, b.uri = value.get("mimeType"), value.get("uri")
            return b
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
    """One upstream tool. ``await tool(**kwargs)`` calls it; ``tool.sync(**kwargs)`` blocks;
    ``tool.stream(**kwargs)`` follows its progress (``async for p in call: ...``, then ``call.result``)."""

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

    def stream(self, args=None, /, **kwargs):
        """Starts the call and returns a ToolCall: iterate it for progress events, then read ``.result``."""
        return ToolCall(self.server, self.name, _tool_args(self.server, self.name, args, kwargs))

    def __repr__(self):
        return f"<tool {self.server}.{self.name}({', '.join(self.params)})>"


class ToolCall:
    """A tool call followed event by event. ``async for event in call`` (or ``for`` — blocking)
    yields ``{"progress", "total", "message", "status"}`` dicts as the server reports progress (task
    tools report ``status``); when it ends, ``call.result`` holds the value (errors raise from the loop)."""

    def __init__(self, server, tool, args):
        self.server, self.tool, self._args = server, tool, args
        self._id = None
        self._pending = []
        self._done = False
        self._result = None

    @property
    def result(self):
        if not self._done:
            raise RuntimeError(f"{self.server}.{self.tool} has not finished: iterate the call first")
        return self._result

    def _take(self, r):
        if r.get("dropped"):
            self._pending.append({"progress": None, "total": None, "message": f"({r['dropped']} earlier progress events dropped)", "status": None})
        self._pending.extend(r.get("events", []))
        if r.get("done"):
            self._done, self._result = True, decode(r.get("value"))

    def _start_params(self):
        return {"server": self.server, "tool": self.tool, "args": self._args}

    def __aiter__(self):
        return self

    async def __anext__(self):
        import _bridge
        if self._id is None:
            self._id = (await _bridge.call("mcp.call_start", self._start_params()))["call"]
        while not self._pending and not self._done:
            self._take(await _bridge.call("mcp.call_next", {"call": self._id}))
        if self._pending:
            return self._pending.pop(0)
        raise StopAsyncIteration

    def __iter__(self):
        return self

    def __next__(self):
        import _bridge
        if self._id is None:
            self._id = _bridge.call_sync("mcp.call_start", self._start_params())["call"]
        while not self._pending and not self._done:
            self._take(_bridge.call_sync("mcp.call_next", {"call": self._id}))
        if self._pending:
            return self._pending.pop(0)
        raise StopIteration

    def __repr__(self):
        return f"<call {self.server}.{self.tool}: {'done' if self._done else 'running'}>"


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
