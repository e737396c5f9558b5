"""Persistent memory for run_python: JSON values kept by bridge on the host, across calls and restarts.

Every helper is async (``await save_memory("k", v)``) and has a blocking ``_sync`` twin
(``save_memory_sync("k", v)``). Keys: 1-128 of ``A-Z a-z 0-9 _ - .`` (no leading dot, no ``..``).
Values: anything ``json.dumps`` accepts, at most 1 MiB as JSON.

``update_memory(key, fn)`` is atomic: ``fn(old_value_or_None)`` returns the new value and no
concurrent update of the same key (other calls, other tasks, ``asyncio.gather``) is lost.
"""
import inspect as _inspect
import json as _json

import _bridge

__all__ = [
    "save_memory", "load_memory", "update_memory", "delete_memory", "list_memories",
    "memory_exists", "get_memory_info",
]



def _jsonable(key, value):
    try:
        return _json.loads(_json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"memory {key!r}: value is not JSON-serialisable ({exc})") from None


async def save_memory(key, value):
    """Store ``value`` (JSON-serialisable) under ``key``, replacing any previous value."""
    await _bridge.call("memory.save", {"key": key, "value": _jsonable(key, value)})


async def load_memory(key, default=None):
    """The value stored under ``key``, or ``default`` when there is none."""
    r = await _bridge.call("memory.load", {"key": key})
    return r["value"] if r["exists"] else default


async def _apply(fn, value):
    out = fn(value)
    if _inspect.isawaitable(out):
        out = await out
    return out


_MAX_ATTEMPTS = 50


def _conflict(key):
    return RuntimeError(f"update_memory({key!r}): the value kept changing in another bridge process; gave up after {_MAX_ATTEMPTS} attempts")


async def update_memory(key, fn, default=None):
    """Atomically replace the value under ``key`` by ``fn(value)`` (``default`` when missing); returns the new value."""
    for _ in range(_MAX_ATTEMPTS):
        r = await _bridge.call("memory.begin_update", {"key": key})
        try:
            new = _jsonable(key, await _apply(fn, r["value"] if r["exists"] else default))
        except BaseException:
            await _bridge.call("memory.abort_update", {"token": r["token"]})
            raise
        c = await _bridge.call("memory.commit_update", {"token": r["token"], "value": new})
        if not c["conflict"]:
            return new
    raise _conflict(key)


async def delete_memory(key):
    """Remove ``key``; returns True when it existed."""
    return (await _bridge.call("memory.delete", {"key": key}))["deleted"]


async def list_memories():
    """All stored keys, sorted."""
    return (await _bridge.call("memory.list", {}))["keys"]


async def memory_exists(key):
    """True when a value is stored under ``key``."""
    return (await _bridge.call("memory.exists", {"key": key}))["exists"]


async def get_memory_info(key):
    """``{"key", "size", "version", "created", "updated"}`` for ``key``, or None."""
    return (await _bridge.call("memory.info", {"key": key}))["info"]


def save_memory_sync(key, value):
    """Blocking twin of :func:`save_memory`."""
    _bridge.call_sync("memory.save", {"key": key, "value": _jsonable(key, value)})


def load_memory_sync(key, default=None):
    """Blocking twin of :func:`load_memory`."""
    r = _bridge.call_sync("memory.load", {"key": key})
    return r["value"] if r["exists"] else default


def update_memory_sync(key, fn, default=None):
    """Blocking twin of :func:`update_memory` (``fn`` must be a plain function)."""
    for _ in range(_MAX_ATTEMPTS):
        r = _bridge.call_sync("memory.begin_update", {"key": key})
        try:
            new = _jsonable(key, fn(r["value"] if r["exists"] else default))
        except BaseException:
            _bridge.call_sync("memory.abort_update", {"token": r["token"]})
            raise
        c = _bridge.call_sync("memory.commit_update", {"token": r["token"], "value": new})
        if not c["conflict"]:
            return new
    raise _conflict(key)


def delete_memory_sync(key):
    """Blocking twin of :func:`delete_memory`."""
    return _bridge.call_sync("memory.delete", {"key": key})["deleted"]


def list_memories_sync():
    """Blocking twin of :func:`list_memories`."""
    return _bridge.call_sync("memory.list", {})["keys"]


def memory_exists_sync(key):
    """Blocking twin of :func:`memory_exists`."""
    return _bridge.call_sync("memory.exists", {"key": key})["exists"]


def get_memory_info_sync(key):
    """Blocking twin of :func:`get_memory_info`."""
    return _bridge.call_sync("memory.info", {"key": key})["info"]


def _install(namespace):
    """Bind every helper and its ``_sync`` twin as a bare name in ``namespace``."""
    g = globals()
    for name in __all__:
        namespace[name] = g[name]
        namespace[name + "_sync"] = g[name + "_sync"]
