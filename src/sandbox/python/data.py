# bridge sandbox runtime, part 4: data work. Warm imports (in the supervisor, before a kernel is
# forked), matplotlib's prebuilt font cache, allowed folders (copies sent by the host for remote
# engines, and the open() guard that refuses links out of a folder and special files with a clear
# error), and result files: what a cell wrote to /output goes back to the host as `file` frames.
DATA_ROOT = "/data"
OUTPUT_DIR = "/output"
MPL_SEED = "/etc/bridge/matplotlib"
FILE_CHUNK = 1 << 20
MAX_RESULT_FILES = 64


def seed_mplconfig():
    """Copies the image's prebuilt matplotlib font cache into MPLCONFIGDIR (in /tmp), for a
    matplotlib imported by a call. Once the supervisor has imported it (warm), its font list is in
    memory and the directory is removed again: calls start with an empty /tmp."""
    dst = os.environ.get("MPLCONFIGDIR")
    if not dst:
        return
    if "matplotlib" in sys.modules:
        import shutil
        shutil.rmtree(dst, ignore_errors=True)
        return
    if not os.path.isdir(MPL_SEED):
        return  # not an image bridge built: matplotlib (if any) builds its cache itself
    try:
        os.makedirs(dst, exist_ok=True)
        names = os.listdir(MPL_SEED)
    except OSError:
        return
    for name in names:
        src, out = os.path.join(MPL_SEED, name), os.path.join(dst, name)
        try:
            if os.path.isfile(src) and not os.path.lexists(out):
                with open(src, "rb") as f, open(out, "wb") as g:
                    g.write(f.read())
        except OSError:
            pass


# First uses that load what modules import lazily and fill their caches (fonts, formatters): run
# once in the supervisor after warm imports, and in each kernel once it has been idle a moment
# (next_exec). Nothing of them stays visible: figures are closed, no random numbers are drawn.
WARMUPS = [
    ("pandas", "import pandas as pd, numpy as np\nrepr(pd.DataFrame(np.zeros((8, 2))).describe())"),
    ("matplotlib.pyplot", "import io, matplotlib.pyplot as plt\ntry:\n    fig = plt.figure()\n    plt.plot([0, 1], [0, 1])\n    figure_png(fig, None) or fig.savefig(io.BytesIO(), format='png')\nfinally:\n    plt.close('all')"),
]


def warm_imports(spec):
    """Imports modules once in the supervisor, so every kernel forked from it starts with them
    loaded (copy-on-write). spec: {"modules": [...], "optional": [...]}; an optional module the
    image lacks is skipped quietly. Returns {"ok": [...], "failed": {name: error}}."""
    import gc, importlib
    ok, failed = [], {}
    spec = spec or {}
    optional = set(spec.get("optional") or [])
    for name in spec.get("modules") or []:
        try:
            importlib.import_module(name)
            ok.append(name)
        except ImportError as e:
            if name not in optional or getattr(e, "name", None) not in (name, name.split(".")[0]):
                failed[name] = "%s: %s" % (type(e).__name__, e)
        except BaseException as e:
            failed[name] = "%s: %s" % (type(e).__name__, e)
    for name, code in WARMUPS:
        if name in sys.modules:
            try:
                exec(compile(code, "<bridge-warmup>", "exec"), warmup_globals())
            except Exception as e:
                failed[name + " (first use)"] = "%s: %s" % (type(e).__name__, e)
    gc.collect()
    gc.freeze()  # kernels' collections never touch (and so never copy) the supervisor's objects
    return {"ok": ok, "failed": failed}


def reseed():
    """A fork copies numpy's global random state, seeded once when the supervisor imported numpy:
    without a fresh seed every call would draw the same numbers. (Python's random reseeds itself
    at fork.)"""
    np = sys.modules.get("numpy")
    if np is not None:
        try:
            np.random.seed()
        except Exception:
            pass


def prefault(kernel):
    """Runs an empty cell, preludes included, before the first call: a kernel is a fork of the
    supervisor (made larger by warm imports), and every page a cell writes is copied on first
    write. Taking those copies here, while the kernel waits in the pool, keeps them off the call."""
    reseed()
    try:
        kernel.run_cell({"contexts": [{} for _ in kernel.preludes]}, "None")
        kernel.globals = kernel.fresh_globals()
        kernel.results.collect(lambda header, body=b"": None)
        import io
        print("", end="", file=io.StringIO())
    except Exception:
        pass


IDLE_WARMUP_S = 0.15
WARMUP_ROUNDS = 3


def next_exec(kernel):
    """The next cell to run. A new kernel that waits 150 ms for its first cell runs the warm-ups
    meanwhile, so the pages a chart or a DataFrame touches get copied then, not during the call.
    One round leaves the allocator short of its steady state: a matplotlib chart in the call still
    took ~500 minor page faults (5-10 ms); after WARMUP_ROUNDS rounds ~30 (measured per round:
    ~4,200, ~720, ~30). They start early so that they are over (~250 ms of CPU) before an agent's
    next call, which another pool container serves meanwhile (starting at 300 ms slowed a call
    paced 600 ms apart by ~3 ms). A cell that arrives during them waits for the first use under
    way (one chart; in wall time more when other containers warm up on the same cores); a burst
    of calls never waits. Never after a cell has run (a session's code may have changed the
    modules)."""
    if not getattr(kernel, "warmed", False):
        import queue
        kernel.warmed = True
        try:
            return kernel.execs.get(timeout=IDLE_WARMUP_S)
        except queue.Empty:
            warmups = [code for name, code in WARMUPS if name in sys.modules]
            for code in warmups * WARMUP_ROUNDS:
                if not kernel.execs.empty():
                    break
                quiet(code)
    return kernel.execs.get()


def quiet(code):
    """Runs a warm-up with its output discarded: the supervisor relays whatever the kernel writes
    once a cell has arrived, so warm-up text (warnings, print, logging's last resort) would show up
    in that call. Only sys.stdout/sys.stderr are swapped: writes to fd 1/2 from C code, to
    sys.__stderr__, or through a logging handler that kept the old stream still pass (bridge's own
    warm-ups make none)."""
    import io
    out, err = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = io.StringIO()
    try:
        exec(compile(code, "<bridge-warmup>", "exec"), warmup_globals())
    except Exception:
        pass
    finally:
        sys.stdout, sys.stderr = out, err


def warmup_globals():
    return {"__name__": "__bridge_warmup__", "figure_png": figure_png}


def put_data_file(path, body):
    """Writes one file of an allowed folder copied by the host (remote engines) under /data."""
    path = os.path.normpath(str(path))
    if not path.startswith(DATA_ROOT + "/") or "/../" in path + "/":
        return
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    try:
        write_all(fd, body)
    finally:
        os.close(fd)


class FolderGuard:
    """The audit hook behind clear errors for allowed folders: the mounts (or copies) are what keep
    the host safe; this turns what would be a hang, a confusing read or a bare EACCES/EROFS into a
    message that says what was refused and why. Writes pass only under read-write folders, and
    only to regular files that stay inside the folder."""

    def __init__(self, folders, refused):
        self.folders = folders or []  # [{"name", "host", "mount", "writable"}]
        self.refused = refused or {}  # container path -> reason (remote copies; masked FIFOs, sockets, devices)

    def install(self):
        if self.folders:
            sys.addaudithook(self.hook)

    def hook(self, event, args):
        if event == "os.symlink" and any(f.get("writable") for f in self.folders):
            # The syscall filter refuses it anyway (isolation.py, deny_plant): say why.
            raise PermissionError(1, "refused: no symbolic links can be made while a read-write folder is allowed (%s): programs on the user's machine would follow them out of the folder" % ", ".join(f["mount"] for f in self.folders if f.get("writable")), args[1] if len(args) > 1 else None)
        if event != "open" or not args or not isinstance(args[0], (str, bytes)):
            return
        path = args[0].decode("utf-8", "surrogateescape") if isinstance(args[0], bytes) else args[0]
        mode, flags = (args[1] if len(args) > 1 else "r") or "r", (args[2] if len(args) > 2 else 0) or 0
        full = os.path.normpath(os.path.join(os.getcwd(), path)) if not os.path.isabs(path) else os.path.normpath(path)
        for f in self.folders:
            if full == f["host"] or full.startswith(f["host"] + "/"):
                if not os.path.lexists(full):
                    raise FileNotFoundError(2, "this is a path on the user's machine; in the sandbox it is %s" % (f["mount"] + full[len(f["host"]):]), path)
        if not (full == DATA_ROOT or full.startswith(DATA_ROOT + "/")):
            if (path.startswith(DATA_ROOT + "/") or os.getcwd().startswith(DATA_ROOT + "/")) and ".." in path.split("/"):
                raise PermissionError(13, "refused: '..' leads out of the allowed folders (%s)" % ", ".join(f["mount"] for f in self.folders), path)
            return
        writing = any(c in str(mode) for c in "wax+") or flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC)
        folder = next((f for f in self.folders if full == f["mount"] or full.startswith(f["mount"] + "/")), None)
        if writing and not (folder and folder.get("writable")):
            raise PermissionError(13, self.read_only(folder, full), path)
        reason = self.refused.get(full)
        if reason:
            raise PermissionError(13, "refused: %s" % reason, path)
        if folder is None:
            if full != DATA_ROOT and not os.path.lexists(full):
                raise FileNotFoundError(2, "no allowed folder at %s; the allowed ones are %s (the user allows folders with MCP_BRIDGE_FOLDERS)" % ("/".join(full.split("/")[:3]), ", ".join(f["mount"] for f in self.folders)), path)
            return
        mount = folder["mount"]
        real = os.path.realpath(full)
        if real != mount and not real.startswith(mount + "/"):
            raise PermissionError(13, "refused: a symbolic link that leads out of the allowed folder %s" % mount, path)
        try:
            st = os.stat(full)
        except OSError:
            st = None
        import stat as S
        if st is not None and not S.S_ISREG(st.st_mode) and not S.S_ISDIR(st.st_mode):
            kind = "a FIFO" if S.S_ISFIFO(st.st_mode) else "a socket" if S.S_ISSOCK(st.st_mode) else "a device" if S.S_ISCHR(st.st_mode) or S.S_ISBLK(st.st_mode) else "not a regular file"
            raise PermissionError(13, "refused: %s, not a regular file" % kind, path)
        if writing:
            target = full if st is not None else os.path.dirname(real)
            if (st is not None or os.path.isdir(target)) and not os.access(target, os.W_OK):
                host = folder["host"] + target[len(mount):]
                mode = os.stat(target).st_mode & 0o777
                raise PermissionError(13, "%s is allowed read-write, but the sandbox's user (uid %d) may not write %s (mode %o): on the user's machine, make it writable for others (chmod o+w %s) or for the uid the sandbox's files get there (an ACL)" % (mount, os.getuid(), target, mode, host), path)
            return
        if st is not None and not os.access(full, os.R_OK):
            raise PermissionError(13, "not readable by the sandbox's user (uid %d; the file's mode is %o): make it readable for others on the host (chmod o+r) to use it here" % (os.getuid(), st.st_mode & 0o777), path)

    def read_only(self, folder, full):
        """Why a write under /data is refused, and where code may write instead."""
        rw = [f["mount"] for f in self.folders if f.get("writable")]
        if not rw:
            return "allowed folders are read-only; write files to /output and they come back as results"
        what = "%s is read-only" % folder["mount"] if folder else "%s is not an allowed folder" % "/".join(full.split("/")[:3])
        return "%s; write to the read-write folder%s %s, or to /output (files there come back as results)" % (what, "s" if len(rw) > 1 else "", ", ".join(rw))


class ResultFiles:
    """Sends files a cell wrote under /output (new or changed since the last send) as `file`
    frames in chunks; links, FIFOs and other special files are skipped with a note."""

    def __init__(self):
        self.sent = {}

    def collect(self, send):
        import stat as S
        notes, count = [], 0
        if not os.path.isdir(OUTPUT_DIR):
            return notes
        for top, dirs, files in os.walk(OUTPUT_DIR, followlinks=False):
            dirs.sort()
            for name in sorted(files) + [d for d in dirs if os.path.islink(os.path.join(top, d))]:
                path = os.path.join(top, name)
                rel = os.path.relpath(path, OUTPUT_DIR)
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                if not S.S_ISREG(st.st_mode):
                    notes.append("%s skipped: %s" % (path, "a symbolic link" if S.S_ISLNK(st.st_mode) else "not a regular file"))
                    continue
                key = (st.st_mtime_ns, st.st_size, st.st_ino)
                if self.sent.get(rel) == key:
                    continue
                if count >= MAX_RESULT_FILES:
                    notes.append("%s skipped: at most %d result files per call" % (path, MAX_RESULT_FILES))
                    continue
                try:
                    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                except OSError as e:
                    notes.append("%s skipped: %s" % (path, e.strerror))
                    continue
                try:
                    size = os.fstat(fd).st_size
                    offset = 0
                    while True:
                        chunk = os.read(fd, FILE_CHUNK)
                        last = len(chunk) < FILE_CHUNK
                        send({"t": "file", "name": rel, "offset": offset, "last": last, "size": size}, chunk)
                        offset += len(chunk)
                        if last:
                            break
                finally:
                    os.close(fd)
                self.sent[rel] = key
                count += 1
        return notes


MAX_IMAGE_SIDE = 8000  # larger images are rejected by Anthropic's API (and other clients' models)
MAX_IMAGE_BYTES = 2 << 20


def figure_dpi(fig):
    """The figure's dpi, lowered so that its largest side stays within MAX_IMAGE_SIDE pixels."""
    try:
        w, h = fig.get_size_inches()
        dpi = float(fig.dpi)
    except Exception:
        return None
    side = max(w, h) * dpi
    if side <= MAX_IMAGE_SIDE:
        return None
    fitted = dpi * MAX_IMAGE_SIDE / side * 0.999
    print("[bridge: figure of %d x %d px drawn at %.0f dpi instead of %.0f, so that its largest side is at most %d px]" % (w * dpi, h * dpi, fitted, dpi, MAX_IMAGE_SIDE))
    return fitted


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def figure_png(fig, dpi):
    """The figure as PNG bytes: matplotlib draws it (savefig, so the savefig rcParams apply) and
    bridge encodes the pixels. Pillow, which matplotlib's own PNG path uses, picks a PNG filter per
    row by trying all five: 7 of its 9 ms for a 640 x 480 chart; unfiltered rows and zlib level 1
    take 2 ms and come out smaller for charts (flat areas, thin lines). The chunks match Pillow's
    (IHDR, Software text, pHYs with the dpi, IDAT, IEND). Figures not drawn by Agg, or whose pixels
    are not where Agg keeps them, go through savefig's PNG path."""
    import io
    agg = sys.modules.get("matplotlib.backends.backend_agg")
    if agg is None or not isinstance(getattr(fig, "canvas", None), agg.FigureCanvasAgg):
        return None
    buf = io.BytesIO()
    fig.savefig(buf, format="rgba", dpi=dpi)  # print_raw: draws, then writes canvas.renderer's RGBA buffer
    raw = buf.getvalue()
    renderer = getattr(fig.canvas, "renderer", None)
    try:
        height, width, depth = memoryview(renderer.buffer_rgba()).shape
        ppm = int(float(renderer.dpi) / 0.0254 + 0.5)
    except Exception:
        return None
    stride = width * 4
    if depth != 4 or not width or len(raw) != stride * height or not 0 < ppm < 1 << 31:
        return None
    z = zlib.compressobj(1)
    idat = [z.compress(b"\0" + raw[y * stride : (y + 1) * stride]) for y in range(height)]
    idat.append(z.flush())
    if sum(map(len, idat)) > MAX_IMAGE_BYTES:
        return None  # noisy pixels (photos, heat maps) compress better with Pillow's filters
    import matplotlib
    software = ("Matplotlib version%s, https://matplotlib.org/" % matplotlib.__version__).encode("latin-1", "replace")
    return b"".join((
        b"\x89PNG\r\n\x1a\n",
        png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)),
        png_chunk(b"tEXt", b"Software\0" + software),
        png_chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
        png_chunk(b"IDAT", b"".join(idat)),
        png_chunk(b"IEND", b""),
    ))


def png_size(data):
    """(width, height) from a PNG's IHDR chunk, or None."""
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def fit_png(data):
    """Downscales a PNG larger than clients accept (side or bytes) with Pillow when the image has it."""
    size = png_size(data)
    if size is None or (max(size) <= MAX_IMAGE_SIDE and len(data) <= MAX_IMAGE_BYTES):
        return data
    try:
        import io
        from PIL import Image
    except Exception:
        return data  # the host drops it with a note saying why
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
        scale = min(1.0, MAX_IMAGE_SIDE / max(size))
        out = data
        for _ in range(6):
            w, h = max(1, int(size[0] * scale)), max(1, int(size[1] * scale))
            buf = io.BytesIO()
            img.resize((w, h), Image.LANCZOS).save(buf, format="PNG", optimize=True)
            out = buf.getvalue()
            if len(out) <= MAX_IMAGE_BYTES:
                break
            scale *= 0.7 * (MAX_IMAGE_BYTES / len(out)) ** 0.5
        print("[bridge: image of %d x %d px (%d bytes) downscaled to %d x %d px (%d bytes): clients accept at most %d px per side]" % (size[0], size[1], len(data), w, h, len(out), MAX_IMAGE_SIDE))
        return out
    except Exception as e:
        print("[bridge: image could not be downscaled: %s]" % e)
        return data
