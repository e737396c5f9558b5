# Test harness for the mcp/bridge_memory Python modules without a container: installs the given
# modules like the sandbox does, provides `_bridge.call`/`call_sync` over stdin/stdout JSON lines,
# runs one cell (top-level await allowed) and reports {"t": "done", ...}. User prints go to stderr.
import ast, asyncio, concurrent.futures, importlib.abc, importlib.util, json, sys, threading, traceback, types

proto_out = sys.stdout
sys.stdout = sys.stderr
lock = threading.Lock()
pending = {}
counter = [0]


def send(msg):
    with lock:
        proto_out.write(json.dumps(msg) + "\n")
        proto_out.flush()


def request(method, params):
    fut = concurrent.futures.Future()
    with lock:
        counter[0] += 1
        cid = counter[0]
    pending[cid] = fut
    send({"t": "call", "cid": cid, "method": method, "params": params})
    return fut


class BridgeCallError(Exception):
    pass


init = json.loads(sys.stdin.readline())


def reader():
    for line in sys.stdin:
        msg = json.loads(line)
        fut = pending.pop(msg["cid"])
        if msg["ok"]:
            fut.set_result(msg["value"])
        else:
            fut.set_exception(BridgeCallError(msg["error"]))


threading.Thread(target=reader, daemon=True).start()
bridge = types.ModuleType("_bridge")
bridge.call_sync = lambda m, p=None, timeout=None: request(m, p).result(timeout)


async def _call(m, p=None):
    return await asyncio.wrap_future(request(m, p))


bridge.call = _call
sys.modules["_bridge"] = bridge
modules = init["modules"]
packages = {n.rsplit(".", i)[0] for n in modules for i in range(1, n.count(".") + 1)}


class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name in modules or name in packages:
            return importlib.util.spec_from_loader(name, self, is_package=name in packages)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(compile(modules.get(module.__name__, ""), "<bridge:%s>" % module.__name__, "exec"), module.__dict__)


sys.meta_path.insert(0, Finder())
g = {"__name__": "__main__"}
try:
    for prelude, ctx in zip(init["preludes"], init["contexts"]):
        g["__bridge_context__"] = ctx
        exec(compile(prelude, "<prelude>", "exec"), g)
        g.pop("__bridge_context__", None)
    code = compile(init["code"], "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(code, g)
    if code.co_flags & 0x80:
        asyncio.new_event_loop().run_until_complete(result)
    send({"t": "done", "ok": True})
except BaseException as e:
    send({"t": "done", "ok": False, "error": "".join(traceback.format_exception(type(e), e, e.__traceback__))})
