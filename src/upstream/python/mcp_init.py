"""Other MCP servers, reachable from run_python code.

Loaded servers are globals ``mcp_<alias>`` (also ``mcp_servers["name"]`` and
``from mcp.servers.<alias> import *``). Tools take keyword arguments::

    hits = await search_tool_docs("read a file")          # ranked, across every server
    text = await mcp_filesystem.read_text_file(path="/x")  # async; ..._sync(...) blocks
    fs = await load_server("filesystem")                    # load one on demand

Helpers live in ``mcp.runtime`` and are bound as bare names; see ``help(mcp.runtime)``.
"""
from mcp.runtime import *  # noqa: F401,F403
from mcp.runtime import __all__  # noqa: F401
