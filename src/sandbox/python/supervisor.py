# bridge sandbox runtime, part 3: the supervisor (PID 1). Owns the host channel, forks the kernel,
# forwards frames both ways, reaps children, and resets the container for reuse.
class Supervisor:
    def __init__(self):
        self.cin, self.cout = os.dup(0), os.dup(1)
        null = os.open("/dev/null", os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.close(null)
        set_dumpable(False)
        self.current = None  # id of the exec the kernel is running
        self.kernel = None

    def send(self, header, body=b""):
        write_all(self.cout, frame(header, body))

    def run(self):
        self.init, _ = read_frame_blocking(self.cin)
        install_modules(dict(self.init.get("modules") or {}))
        seed_mplconfig()
        warm = warm_imports(self.init.get("warm"))
        seed_mplconfig()
        self.expect_puts = 0
        for _ in range(int((self.init.get("data") or {}).get("files") or 0)):
            header, body = read_frame_blocking(self.cin)
            if header.get("t") == "put":
                put_data_file(header.get("path"), body)
        if "data" in self.init:  # copies (remote engine); a mount's hidden special files come in init
            self.init["refused"] = (self.init["data"] or {}).get("refused") or {}
        # Python's SIGINT handler would let user code kill PID 1 with SIGINT; ignored, it is dropped.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.filtered = install_syscall_filter(deny_unix=bool(self.init.get("denyUnixSockets")), deny_plant=bool(self.init.get("denyPlanting")))
        self.baseline = process_state()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.poll = select.poll()
        for fd in (self.cin, self.wake_r):
            os.set_blocking(fd, False)
            self.poll.register(fd, select.POLLIN)
        self.spawn_kernel(self.init)
        self.send({"t": "ready", "pid": os.getpid(), "python": sys.version.split()[0], "warm": warm, "filter": self.filtered})
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
                        self.from_kernel(header, body)
                elif fd == self.cin:
                    data = self.read_some(fd)
                    if data is None:
                        os._exit(0)  # host closed the channel: the container ends
                    for header, body in host.feed(data):
                        self.from_host(header, body)
            self.reap()

    def reset(self, header=None):
        """Back to a just-started state: every other process killed, every writable place wiped and
        checked (isolation.py), PID 1 unchanged, a fresh kernel; otherwise the container ends."""
        self.current = None
        self.kernel = None
        for fd in (self.ctl_r, self.out_r):
            self.poll.unregister(fd)
            os.close(fd)
        os.close(self.cmd_w)
        # A killed process with a large address space (warm imports) takes a while to exit: wait for
        # it by the clock, not by a number of tries.
        deadline = time.monotonic() + 3
        while True:
            try:
                os.kill(-1, signal.SIGKILL)  # every process we may signal, except PID 1 and ourselves
            except ProcessLookupError:
                break
            self.reap()
            if time.monotonic() > deadline:
                os._exit(1)  # processes keep appearing: end the container rather than reuse it
            time.sleep(0.0005)
        self.reap()
        data = (header or {}).get("data")
        copies = (DATA_ROOT,) if data is not None and os.access(DATA_ROOT, os.W_OK) else ()
        if not scrub(copies) or process_state() != self.baseline:
            os._exit(1)  # something survived the wipe, or PID 1 was tampered with: do not reuse
        if self.data_after_wipe(data):
            return  # the kernel starts once the host has sent the folders' files (`put` frames)
        os.chdir("/workspace")
        self.spawn_kernel(self.init)
        self.send({"t": "ready", "reset": True})

    def data_after_wipe(self, data):
        """After the wipe (which emptied copied folders too): reseeds matplotlib's cache; True while
        `put` frames with the folders' files are due."""
        seed_mplconfig()
        if data is None:
            return False
        self.init["refused"] = data.get("refused") or {}
        self.expect_puts = int(data.get("files") or 0)
        return self.expect_puts > 0

    def on_put(self, header, body):
        if self.expect_puts <= 0 or self.kernel is not None:
            return
        put_data_file(header.get("path"), body)
        self.expect_puts -= 1
        if self.expect_puts == 0:
            os.chdir("/workspace")
            self.spawn_kernel(self.init)
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
            return self.reset(header)
        if t == "put":
            return self.on_put(header, body)
        if t == "exec":
            self.current = header.get("id")
        if t in ("exec", "reply"):
            write_all(self.cmd_w, frame(header, body))

    def from_kernel(self, header, body):
        t = header.get("t")
        if t == "done":
            self.forward_output()
            header["id"] = self.current
            self.current = None
            self.send(header, body)
        elif t in ("image", "call", "file") and self.current is not None:
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
            if pid == self.kernel and self.kernel is not None:
                self.kernel_died(status)

    def kernel_died(self, status):
        self.forward_output()
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            done = {"t": "done", "status": "killed", "signal": sig}
            ooms = oom_kills()
            if ooms is not None and self.ooms is not None:
                done["oomKilled"] = ooms > self.ooms
        else:
            done = {"t": "done", "status": "exit", "exitCode": os.WEXITSTATUS(status)}
        done["id"] = self.current
        done["kernelDied"] = True
        self.send(done)
        os._exit(0)

    def spawn_kernel(self, init):
        self.nonce = os.urandom(16)
        self.ooms = oom_kills()
        self.ctl_r, ctl_w = os.pipe()
        cmd_r, self.cmd_w = os.pipe()
        self.out_r, out_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.default_int_handler)
                for fd in (self.cin, self.cout, self.ctl_r, self.cmd_w, self.out_r, self.wake_r, self.wake_w):
                    os.close(fd)
                os.dup2(out_w, 1)
                os.dup2(out_w, 2)
                os.close(out_w)
                set_dumpable(True)
                Kernel(ctl_w, cmd_r, self.nonce, init).serve()
            except BaseException:
                traceback.print_exc()
            os._exit(70)
        os.close(ctl_w)
        os.close(cmd_r)
        os.close(out_w)
        self.kernel = pid
        self.ctl = FrameReader(self.nonce)
        for fd in (self.ctl_r, self.out_r):
            os.set_blocking(fd, False)
            self.poll.register(fd, select.POLLIN)


def oom_kills():
    """OOM kills recorded by the container's memory cgroup (v2 or v1), or None if unreadable."""
    for path in ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"):
        try:
            with open(path) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except (OSError, ValueError):
            continue
    return None
