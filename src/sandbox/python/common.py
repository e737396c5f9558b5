# bridge sandbox runtime, part 1: shared framing helpers. container.ts joins common.py,
# isolation.py, supervisor.py, data.py and kernel.py (in that order) into one source, which runs
# inside the container as PID 1, started by a tiny `python3 -c` bootstrap that reads it from stdin.
# Two processes:
#   supervisor - owns the channel to the host (the container's stdin/stdout, moved to private
#                fds; fd 0/1 become /dev/null), frames everything, reaps children. Runs no user code.
#   kernel     - forked from the supervisor; runs user code with fd 1/2 on a pipe the supervisor
#                reads (so prints, subprocesses and C code all land in `out` frames, never raw on
#                the channel). It talks to the supervisor over a control pipe whose frames start
#                with a random nonce; bytes without it (fake frames from user code) are skipped.
# Host <-> supervisor frame: u32 header length, u32 body length, JSON header, raw body.
import ast, json, os, select, signal, struct, sys, threading, time, traceback, zlib

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
