# bridge sandbox runtime. Runs inside the container as PID 1, started by a tiny `python3 -c`
# bootstrap that reads this source from stdin. Two processes:
#   supervisor - owns the channel to the host (the container's stdin/stdout, moved to private
#                fds; fd 0/1 become /dev/null), frames everything, reaps children. Runs no user code.
#   worker     - forked from the supervisor; runs user code with fd 1/2 on a pipe the supervisor
#                reads (so prints, subprocesses and C code all land in `out` frames, never raw on
#                the channel). It talks to the supervisor over a control pipe whose frames start
#                with a random nonce; bytes without it (fake frames from user code) are skipped.
# Host <-> supervisor frame: u32 header length, u32 body length, JSON header, raw body.
import ast, json, os, select, signal, struct, sys, threading, traceback

HDR = struct.Struct(">II")
RUNTIME_FILE = "<bridge-runtime>"
CELL_FILE = "<cell>"
MAX_HEADER = 1 << 20


def write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def frame(header, body=b""):
    h = json.dumps(header, separators=(",", ":")).encode()
    return HDR.pack(len(h), len(body)) + h + body


def set_dumpable(on):
    # A non-dumpable supervisor keeps same-uid user code out of /proc/<pid>/fd (the channel).
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(4, 1 if on else 0, 0, 0, 0)  # PR_SET_DUMPABLE
    except Exception:
        pass


class FrameReader:
    """Accumulates bytes; yields (header, body) frames. With a nonce, skips bytes that are not a frame."""

    def __init__(self, nonce=b""):
        self.buf = bytearray()
        self.nonce = nonce

    def feed(self, data):
        self.buf += data
        out = []
        while True:
            if self.nonce:
                i = self.buf.find(self.nonce)
                if i < 0:
                    keep = len(self.nonce) - 1
                    del self.buf[: max(0, len(self.buf) - keep)]
                    return out
                del self.buf[:i]
            start = len(self.nonce)
            if len(self.buf) < start + HDR.size:
                return out
            hlen, blen = HDR.unpack_from(self.buf, start)
            if hlen > MAX_HEADER:
                if not self.nonce:
                    raise ValueError("channel desynchronised: header too large")
                del self.buf[:1]
                continue
            end = start + HDR.size + hlen + blen
            if len(self.buf) < end:
                return out
            try:
                header = json.loads(bytes(self.buf[start + HDR.size : start + HDR.size + hlen]))
                if not isinstance(header, dict):
                    raise ValueError("header is not an object")
            except ValueError:
                if not self.nonce:
                    raise
                del self.buf[:1]
                continue
            body = bytes(self.buf[start + HDR.size + hlen : end])
            del self.buf[:end]
            out.append((header, body))


def read_exact(fd, n):
    chunks, got = [], 0
    while got < n:
        c = os.read(fd, min(n - got, 1 << 20))
        if not c:
            raise EOFError("channel closed")
        chunks.append(c)
        got += len(c)
    return b"".join(chunks)


def read_frame_blocking(fd):
    hlen, blen = HDR.unpack(read_exact(fd, HDR.size))
    if hlen > MAX_HEADER:
        raise ValueError("init frame header too large")
    return json.loads(read_exact(fd, hlen)), read_exact(fd, blen)


# ----------------------------------------------------------------------------------------------
# Supervisor
# ----------------------------------------------------------------------------------------------
class Supervisor:
    def __init__(self):
        self.cin, self.cout = os.dup(0), os.dup(1)
        null = os.open("/dev/null", os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.close(null)
        set_dumpable(False)
        self.current = None  # id of the exec the worker is running
        self.worker = None

    def send(self, header, body=b""):
        write_all(self.cout, frame(header, body))

    def run(self):
        self.init, _ = read_frame_blocking(self.cin)
        install_modules(dict(self.init.get("modules") or {}))
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.poll = select.poll()
        for fd in (self.cin, self.wake_r):
            os.set_blocking(fd, False)
            self.poll.register(fd, select.POLLIN)
        self.spawn_worker(self.init)
        self.send({"t": "ready", "pid": os.getpid(), "python": sys.version.split()[0]})
        host = FrameReader()
        while True:
            for fd, _ev in self.poll.poll(1000):
                if fd == self.wake_r:
                    self.drain(self.wake_r)
                elif fd == self.out_r:
                    self.forward_output()
                elif fd == self.ctl_r:
                    data = self.read_some(fd)
                    if data is None:
                        self.poll.unregister(fd)
                        continue
                    for header, body in self.ctl.feed(data):
                        self.from_worker(header, body)
                elif fd == self.cin:
                    data = self.read_some(fd)
                    if data is None:
                        os._exit(0)  # host closed the channel: the container ends
                    for header, body in host.feed(data):
                        self.from_host(header, body)
            self.reap()

    def reset(self):
        """Back to a just-started state: every other process killed, scratch dirs wiped, fresh worker."""
        self.current = None
        self.worker = None
        for fd in (self.ctl_r, self.out_r):
            self.poll.unregister(fd)
            os.close(fd)
        os.close(self.cmd_w)
        for _ in range(1000):
            try:
                os.kill(-1, signal.SIGKILL)  # every process we may signal, except PID 1 and ourselves
            except ProcessLookupError:
                break
            self.reap()
        self.reap()
        for top in ("/tmp", "/workspace", "/dev/shm"):
            wipe(top)
        remove_sysv_ipc()
        os.chdir("/workspace")
        self.spawn_worker(self.init)
        self.send({"t": "ready", "reset": True})

    def read_some(self, fd):
        try:
            data = os.read(fd, 1 << 20)
        except BlockingIOError:
            return b""
        return data or None

    def drain(self, fd):
        try:
            while os.read(fd, 4096):
                pass
        except BlockingIOError:
            pass

    def forward_output(self):
        while True:
            try:
                data = os.read(self.out_r, 1 << 16)
            except BlockingIOError:
                return
            if not data:
                return
            if self.current is not None:
                self.send({"t": "out", "id": self.current}, data)

    def from_host(self, header, body):
        t = header.get("t")
        if t == "reset":
            return self.reset()
        if t == "exec":
            self.current = header.get("id")
        if t in ("exec", "reply"):
            write_all(self.cmd_w, frame(header, body))

    def from_worker(self, header, body):
        t = header.get("t")
        if t == "done":
            self.forward_output()
            header["id"] = self.current
            self.current = None
            self.send(header)
        elif t in ("image", "call") and self.current is not None:
            header["id"] = self.current
            self.send(header, body)

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.worker and self.worker is not None:
                self.worker_died(status)

    def worker_died(self, status):
        self.forward_output()
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            done = {"t": "done", "status": "killed", "signal": sig}
        else:
            done = {"t": "done", "status": "exit", "exitCode": os.WEXITSTATUS(status)}
        done["id"] = self.current
        done["workerDied"] = True
        self.send(done)
        os._exit(0)

    def spawn_worker(self, init):
        self.nonce = os.urandom(16)
        self.ctl_r, ctl_w = os.pipe()
        cmd_r, self.cmd_w = os.pipe()
        self.out_r, out_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                for fd in (self.cin, self.cout, self.ctl_r, self.cmd_w, self.out_r, self.wake_r, self.wake_w):
                    os.close(fd)
                os.dup2(out_w, 1)
                os.dup2(out_w, 2)
                os.close(out_w)
                set_dumpable(True)
                Worker(ctl_w, cmd_r, self.nonce, init).serve()
            except BaseException:
                traceback.print_exc()
            os._exit(70)
        os.close(ctl_w)
        os.close(cmd_r)
        os.close(out_w)
        self.worker = pid
        self.ctl = FrameReader(self.nonce)
        for fd in (self.ctl_r, self.out_r):
            os.set_blocking(fd, False)
            self.poll.register(fd, select.POLLIN)


def wipe(top):
    """Removes everything under `top` (same uid: permissions user code took away are restored first)."""
    import shutil, stat

    def fix(func, path, _exc):
        try:
            os.chmod(os.path.dirname(path), stat.S_IRWXU)
            os.chmod(path, stat.S_IRWXU)
        except OSError:
            pass
        try:
            (shutil.rmtree if os.path.isdir(path) and not os.path.islink(path) else os.unlink)(path)
        except OSError:
            pass

    try:
        os.chmod(top, 0o1777)
    except OSError:
        pass
    try:
        names = os.listdir(top)
    except OSError:
        return
    for name in names:
        path = os.path.join(top, name)
        if os.path.isdir(path) and not os.path.islink(path):
            try:
                os.chmod(path, stat.S_IRWXU)
            except OSError:
                pass
            shutil.rmtree(path, onerror=fix)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


def remove_sysv_ipc():
    """SysV shared memory, semaphores and queues outlive their processes: remove them."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
    except Exception:
        return
    for kind, fn in (("shm", "shmctl"), ("sem", "semctl"), ("msg", "msgctl")):
        try:
            with open("/proc/sysvipc/" + kind) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) < 2:
                continue
            ident = int(cols[1])
            if kind == "sem":
                libc.semctl(ident, 0, 0)  # IPC_RMID
            else:
                getattr(libc, fn)(ident, 0, None)


# ----------------------------------------------------------------------------------------------
# Worker
# ----------------------------------------------------------------------------------------------
class BridgeCallError(Exception):
    """A host method failed; the message is the host's explanation."""


WORKER = [None]  # the Worker of this process (set after fork; the supervisor has none)


def install_modules(modules):
    """Installs `_bridge` and the extension modules, then imports them. Runs in the supervisor,
    before any worker is forked, so every fresh worker inherits them pristine and ready."""
    import importlib, importlib.abc, importlib.util, types

    def worker():
        if WORKER[0] is None or os.getpid() != WORKER[0].pid:
            raise RuntimeError("_bridge calls are only available in the main sandbox process")
        return WORKER[0]

    bridge = types.ModuleType("_bridge")
    bridge.BridgeCallError = BridgeCallError

    def call_sync(method, params=None, timeout=None):
        """Calls a host method and waits for its result."""
        try:
            return worker().request(method, params).result(timeout)
        except BridgeCallError as e:
            raise BridgeCallError(str(e)) from None

    async def call(method, params=None):
        """Calls a host method; many calls may run concurrently."""
        import asyncio
        try:
            return await asyncio.wrap_future(worker().request(method, params))
        except BridgeCallError as e:
            raise BridgeCallError(str(e)) from None

    bridge.call, bridge.call_sync = call, call_sync
    bridge.show_image = lambda image: worker().show_image(image)
    bridge.emit_figures = lambda: worker().emit_figures()
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


class Worker:
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
        WORKER[0] = self
        self.globals = self.fresh_globals()
        threading.Thread(target=self.read_commands, daemon=True).start()

    # -- channel to the supervisor --
    def send(self, header, body=b""):
        if os.getpid() != self.pid:
            return  # a process forked by user code must not speak for the worker
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
        fut = concurrent.futures.Future()
        with self.lock:
            self.next_cid += 1
            cid = self.next_cid
        self.pending[cid] = fut
        self.send({"t": "call", "cid": cid, "method": str(method)}, json.dumps(params).encode())
        return fut

    # -- modules --
    def fresh_globals(self):
        return {"__name__": "__main__", "__builtins__": __builtins__, "show_image": self.show_image}

    # -- images --
    def show_image(self, image):
        """Returns a PNG to the caller: bytes, a file path, or a matplotlib figure."""
        import io
        if hasattr(image, "savefig"):
            buf = io.BytesIO()
            image.savefig(buf, format="png")
            data = buf.getvalue()
        elif isinstance(image, (bytes, bytearray, memoryview)):
            data = bytes(image)
        elif isinstance(image, (str, os.PathLike)):
            with open(image, "rb") as f:
                data = f.read()
        else:
            raise TypeError("show_image expects PNG bytes, a path to a PNG file, or a matplotlib figure")
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError("show_image: not a PNG image")
        sys.stdout.flush()
        self.send({"t": "image", "mime": "image/png"}, data)

    def emit_figures(self):
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is None:
            return
        for num in plt.get_fignums():
            self.show_image(plt.figure(num))
        plt.close("all")

    # -- execution --
    def serve(self):
        import asyncio, hashlib, inspect  # noqa: F401  (warm imports before the first call)
        while True:
            header, body = self.execs.get()
            done = self.run_cell(header, body.decode("utf-8", "surrogateescape"))
            self.flush()
            if os.getpid() != self.pid:
                os._exit(done.get("exitCode") or (0 if done["status"] == "ok" else 1))
            self.send(dict(done, t="done"))

    def flush(self):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        try:
            import ctypes
            ctypes.CDLL(None).fflush(None)  # output buffered by C code
        except Exception:
            pass

    def run_cell(self, header, src):
        import asyncio, linecache
        g = self.globals
        loop = asyncio.new_event_loop()
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
            value = self.evaluate(loop, compile(tree, CELL_FILE, "exec", flags=flags), g)
            if last is not None:
                value = self.evaluate(loop, compile(last, CELL_FILE, "eval", flags=flags), g)
            self.flush()
            self.emit_figures()
            done = {"status": "ok"}
            if last is not None and value is not None:
                done["value"] = safe_repr(value)
            return done
        except SystemExit as e:
            code = e.code
            if code is None:
                code = 0
            elif not isinstance(code, int):
                print(code, file=sys.stderr)
                code = 1
            return {"status": "exit", "exitCode": code}
        except BaseException as e:
            return {"status": "error", "error": format_user_exception(e)}
        finally:
            try:
                loop.close()
            except Exception:
                pass

    def evaluate(self, loop, code, g):
        result = eval(code, g)
        if code.co_flags & 0x80:  # CO_COROUTINE: the cell used top-level await
            result = loop.run_until_complete(result)
        return result


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
