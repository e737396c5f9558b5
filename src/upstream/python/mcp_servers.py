"""Loaded MCP servers as modules: ``from mcp.servers.<alias> import *`` binds each tool as a function.

Importing a server that was not loaded for this call loads it on demand.
"""
__path__ = []  # a package: ``mcp.servers.<alias>`` submodules are created by mcp.runtime's finder
