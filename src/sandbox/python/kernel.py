# bridge sandbox runtime, part 5: the kernel. Runs user code (top-level await, final expression,
# tracebacks, SystemExit), images, and `_bridge` host calls over the nonce-framed control pipe.
def image_mime(data):
    """The MIME type of PNG, JPEG, GIF or WebP bytes (by signature), else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class BridgeCallError(Exception):
    """A host method failed; the message is the host's explanation."""


KERNEL = [None]  # the Kernel of this process (set after fork; the supervisor has none)


def install_modules(modules):
    """Installs `_bridge` and the extension modules, then imports them. Runs in the supervisor,
    before any kernel is forked, so every fresh kernel inherits them pristine and ready."""
    import importlib, importlib.abc, importlib.util, types

    def kernel():
        if KERNEL[0] is None or os.getpid() != KERNEL[0].pid:
            raise RuntimeError("_bridge calls are only available in the main sandbox process")
        return KERNEL[0]

    bridge = types.ModuleType("_bridge")
    bridge.BridgeCallError = BridgeCallError

    def call_sync(method, params=None, timeout=None):
        """Calls a host method and waits for its result."""
        try:
            return kernel().request(method, params).result(timeout)
        except BridgeCallError as e:
            raise BridgeCallError(str(e)) from None

    async def call(method, params=None):
        """Calls a host method; many calls may run concurrently."""
        import asyncio
        try:
            return await asyncio.wrap_future(kernel().request(method, params))
        except BridgeCallError as e:
            raise BridgeCallError(str(e)) from None

    bridge.call, bridge.call_sync = call, call_sync
    bridge.show_image = lambda image: kernel().show_image(image)
    bridge.emit_figures = lambda: kernel().emit_figures()
    sys.modules["_bridge"] = bridge
    modules.setdefault("_bridge_mpl", MPL_BACKEND)
    packages = {n.rsplit(".", i)[0] for n in modules for i in range(1, n.count(".") + 1)}

    class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, name, path=None, target=None):
            if name in modules or name in packages:
                return importlib.util.spec_from_loader(name, self, is_package=name in packages)
            return None

        def create_module(self, spec):
            return None

        def exec_module(self, module):
            src = modules.get(module.__name__, "")
            exec(compile(src, "<bridge:%s>" % module.__name__, "exec"), module.__dict__)

    sys.meta_path.insert(0, Finder())
    for name in ["asyncio", "concurrent.futures", "hashlib", "inspect", "io", "linecache", "queue"] + sorted(modules):
        if name != "_bridge_mpl":
            try:
                importlib.import_module(name)
            except Exception:
                pass  # the error shows again, with its traceback, when user code imports it


class Kernel:
    def __init__(self, ctl_w, cmd_r, nonce, init):
        import io, queue
        self.ctl_w, self.cmd_r, self.nonce = ctl_w, cmd_r, nonce
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.pending = {}
        self.next_cid = 0
        self.execs = queue.Queue()
        self.preludes = list(init.get("preludes") or [])
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True)
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.argv = [""]
        KERNEL[0] = self
        self.libc = None
        self.loop = None  # created on the first top-level await
        self.globals = self.fresh_globals()
        self.results = ResultFiles()
        FolderGuard(init.get("folders"), init.get("refused")).install()
        self.unawaited = []
        self.watch_unawaited()
        threading.Thread(target=self.read_commands, daemon=True).start()

    def watch_unawaited(self):
        """Records "coroutine ... was never awaited" warnings: an un-awaited helper did nothing."""
        import warnings
        warnings.filterwarnings("always", message=r".*was never awaited", category=RuntimeWarning)
        show = warnings.showwarning

        def hook(message, category, *args, **kwargs):
            if issubclass(category, RuntimeWarning) and "was never awaited" in str(message):
                self.unawaited.append(str(message).split("'")[1] if "'" in str(message) else "a coroutine")
            return show(message, category, *args, **kwargs)
        warnings.showwarning = hook

    # -- channel to the supervisor --
    def send(self, header, body=b""):
        if os.getpid() != self.pid:
            return  # a process forked by user code must not speak for the kernel
        data = self.nonce + frame(header, body)
        with self.lock:
            write_all(self.ctl_w, data)

    def read_commands(self):
        reader = FrameReader()
        while True:
            data = os.read(self.cmd_r, 1 << 20)
            if not data:
                return
            for header, body in reader.feed(data):
                if header.get("t") == "exec":
                    self.execs.put((header, body))
                elif header.get("t") == "reply":
                    fut = self.pending.pop(header.get("cid"), None)
                    if fut is None:
                        continue
                    if header.get("ok"):
                        fut.set_result(json.loads(body) if body else None)
                    else:
                        fut.set_exception(BridgeCallError(header.get("error") or "host method failed"))

    def request(self, method, params):
        import concurrent.futures
        method = str(method)
        if len(method) > 256:
            raise ValueError("_bridge: method name too long")
        body = json.dumps(params).encode()  # TypeError for values JSON cannot carry
        fut = concurrent.futures.Future()
        with self.lock:
            self.next_cid += 1
            cid = self.next_cid
        self.pending[cid] = fut
        self.send({"t": "call", "cid": cid, "method": method}, body)
        return fut

    # -- modules --
    def fresh_globals(self):
        return {"__name__": "__main__", "__builtins__": __builtins__, "show_image": self.show_image}

    # -- images --
    def show_image(self, image):
        """Returns an image to the caller: PNG, JPEG, GIF or WebP bytes (e.g. from an MCP tool), a
        file path, or a matplotlib figure (sent as PNG)."""
        import io
        if hasattr(image, "savefig"):
            dpi = figure_dpi(image)
            data = figure_png(image, dpi)
            if data is None:
                buf = io.BytesIO()
                try:
                    # Fast zlib level: the PNG travels once, locally; level 6 costs tens of ms per chart.
                    image.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
                except TypeError:
                    image.savefig(buf, format="png", dpi=dpi)
                data = buf.getvalue()
        elif isinstance(image, (bytes, bytearray, memoryview)):
            data = bytes(image)
        elif isinstance(image, (str, os.PathLike)):
            with open(image, "rb") as f:
                data = f.read()
        else:
            raise TypeError("show_image expects image bytes (PNG, JPEG, GIF, WebP), a path to such a file, or a matplotlib figure")
        mime = image_mime(data)
        if mime is None:
            raise ValueError("show_image: not a PNG, JPEG, GIF or WebP image (MCP clients accept only those)")
        if mime == "image/png":
            data = fit_png(data)
        sys.stdout.flush()
        self.send({"t": "image", "mime": mime}, data)

    def emit_figures(self):
        plt = sys.modules.get("matplotlib.pyplot")
        nums = plt.get_fignums() if plt is not None else []
        if not nums:
            return  # close("all") runs a gc.collect: not on every call now that pyplot is warm-imported
        for num in nums:
            self.show_image(plt.figure(num))
        plt.close("all")

    # -- execution --
    def serve(self):
        import asyncio
        self.loop = asyncio.new_event_loop()  # ready before the first call (top-level await)
        prefault(self)
        while True:
            header, body = next_exec(self)
            done = self.run_cell(header, body.decode("utf-8", "surrogateescape"))
            self.flush()
            if os.getpid() != self.pid:
                os._exit(done.get("exitCode") or (0 if done["status"] == "ok" else 1))
            self.send_result_files()
            # value and error travel as UTF-8 in the body (value first), their byte lengths in the
            # header; each is capped at the host's output limit (the host refuses more). A cut one
            # also reports its full size ("valueTotal"/"errorTotal"), so the host's own, smaller
            # cut of what the client sees can still say how large it was.
            max_text = header.get("maxText")
            max_text = max_text if isinstance(max_text, int) and max_text > 0 else MAX_TEXT
            body = b""
            for k in ("value", "error"):
                if k in done:
                    raw = done.pop(k).encode("utf-8", "backslashreplace")
                    data = cap_text(raw, max_text)
                    done[k + "Bytes"] = len(data)
                    if len(data) != len(raw):
                        done[k + "Total"] = len(raw)
                    body += data
            self.send(dict(done, t="done"), body)

    def send_result_files(self):
        try:
            notes = self.results.collect(self.send)
        except Exception as e:
            notes = ["result files in %s could not be sent: %s" % (OUTPUT_DIR, e)]
        for note in notes:
            print("[bridge: %s]" % note)
        self.flush()

    def flush(self):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        try:
            if self.libc is None:
                import ctypes
                self.libc = ctypes.CDLL(None)
            self.libc.fflush(None)  # output buffered by C code
        except Exception:
            pass

    def run_cell(self, header, src):
        import linecache
        g = self.globals
        try:
            for prelude, ctx in zip(self.preludes, header.get("contexts") or []):
                g["__bridge_context__"] = ctx
                try:
                    exec(compile(prelude, "<bridge-prelude>", "exec"), g)
                finally:
                    g.pop("__bridge_context__", None)
            linecache.cache[CELL_FILE] = (len(src), None, src.splitlines(True), CELL_FILE)
            try:
                tree = ast.parse(src, CELL_FILE, "exec")
            except SyntaxError as e:
                return {"status": "error", "error": "".join(traceback.format_exception_only(type(e), e))}
            last = None
            if tree.body and isinstance(tree.body[-1], ast.Expr):
                last = ast.Expression(tree.body.pop().value)
            flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
            value = self.evaluate(compile(tree, CELL_FILE, "exec", flags=flags), g)
            if last is not None:
                value = self.evaluate(compile(last, CELL_FILE, "eval", flags=flags), g)
            self.flush()
            self.emit_figures()
            problem = self.unawaited_problem(g, value if last is not None else None)
            if problem:
                return {"status": "error", "error": problem}
            done = {"status": "ok"}
            if last is not None and value is not None:
                done["value"] = safe_repr(value)
            return done
        except SystemExit as e:
            code = e.code
            if code is None:
                code = 0
            elif not isinstance(code, int) or not -(2 ** 31) <= code < 2 ** 31:
                print(code, file=sys.stderr)
                code = 1
            else:
                code = int(code)  # sys.exit(False) / sys.exit(True): a bool is an int in Python, not in JSON
            return {"status": "exit", "exitCode": code}
        except BaseException as e:
            return {"status": "error", "error": format_user_exception(e)}

    def unawaited_problem(self, g, value):
        """An error text when the cell created coroutines it never awaited (so they never ran)."""
        import inspect
        names = list(self.unawaited)
        self.unawaited.clear()
        pending = [v for v in list(g.values()) + [value] if inspect.iscoroutine(v) and inspect.getcoroutinestate(v) == "CORO_CREATED"]
        for c in pending:
            names.append(c.__qualname__)
            c.close()  # closed: no second warning when it is collected
        if not names:
            return None
        first = sorted(set(names))[0]
        twin = f", or call the `{first}_sync(...)` twin" if callable(g.get(first + "_sync")) else ""
        return (
            f"{', '.join(sorted(set(names)))}: called but never awaited, so it did not run.\n"
            f"bridge's helpers and MCP tool calls are async: write `await {first}(...)`"
            f" (top-level await works){twin}."
        )

    def evaluate(self, code, g):
        result = eval(code, g)
        if code.co_flags & 0x80:  # CO_COROUTINE: the cell used top-level await
            import asyncio
            if self.loop is None or self.loop.is_closed():
                self.loop = asyncio.new_event_loop()  # one per interpreter: a session's tasks live on
            result = self.loop.run_until_complete(result)
        return result


MAX_TEXT = 8 << 20


def cap_text(data, limit):
    """Keeps the first 70 % and the last 30 % of `limit` bytes of a repr or traceback, with a note
    giving the full size (the host refuses a done frame with more than `limit` bytes of each)."""
    if len(data) <= limit:
        return data
    total = len(data)
    room = max(0, limit - 200)
    head, tail = data[: room * 7 // 10], data[total - (room - room * 7 // 10) :] if room else b""
    note = (
        "\n[... %d bytes cut in the sandbox: it was %d bytes; showing the first %d and the last %d."
        " Raise MCP_BRIDGE_MAX_OUTPUT to see more ...]\n" % (total - len(head) - len(tail), total, len(head), len(tail))
    ).encode()
    return (head + note + tail)[:limit]


def safe_repr(value):
    try:
        return repr(value)
    except BaseException as e:
        return "<repr failed: %s: %s>" % (type(e).__name__, e)


def format_user_exception(e):
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == RUNTIME_FILE:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(e), e, tb))


MPL_BACKEND = """
# matplotlib backend for the sandbox: draws with Agg; plt.show() returns the figures as images.
from matplotlib.backends.backend_agg import FigureCanvasAgg as FigureCanvas  # noqa: F401
import sys as _sys
def show(*args, **kwargs):
    _sys.modules["_bridge"].emit_figures()
"""


def main():
    Supervisor().run()


main()
