# bridge sandbox runtime, part 2: what the supervisor does so that one call cannot leave anything
# for the next one in a reused container. Every namespace-scoped object user code (uid 65534, no
# capabilities, read-only root) can create, and how the reset deals with it:
#   files            /tmp, /workspace, /output (result files), /dev/shm (POSIX shm, sem_open),
#                    /dev/mqueue: wiped, then checked empty (with /data when the host copied
#                    folders into a tmpfs there, data.py: the only writable mounts; the root is
#                    read-only)
#   SysV IPC         shm, semaphores, message queues (/proc/sysvipc): removed, then checked gone
#   POSIX mqueues    also refused up front: RLIMIT_MSGQUEUE is 0 (argv.ts), so the per-uid quota
#                    shared by all sandboxes cannot be used as a channel either
#   processes        every one SIGKILLed; with them go sockets (abstract unix ones too), pipes,
#                    locks, timers, memfds, inotify/eventfd, ptys, child namespaces
#   keyrings         unreachable: add_key/request_key/keyctl are refused by the seccomp profile
#                    and by the filter below
#   PID 1 itself     same-uid code may lower its rlimits, renice it, pin its CPUs or change its
#                    I/O priority (prlimit, setpriority, sched_set*, ioprio_set need no ptrace
#                    access), and a fresh kernel would inherit that: compared with a baseline taken
#                    at start; any difference ends the container instead of reusing it
# What is shared by design (not writable): hostname, cgroup, page cache, the image.
import ctypes, errno, platform, struct

SCRATCH = ("/tmp", "/workspace", "/output", "/dev/shm", "/dev/mqueue")
# Per-architecture syscall numbers and AUDIT_ARCH values (linux uapi asm/unistd*.h, audit.h).
ARCH = {
    "x86_64": dict(audit=0xC000003E, socket=41, socketpair=53, mknod=133, mknodat=259, symlink=88, symlinkat=266, chmod=90, fchmod=91, fchmodat=268, add_key=248, request_key=249, keyctl=250, ioprio_get=252, sched_getattr=315),
    "aarch64": dict(audit=0xC00000B7, socket=198, socketpair=199, mknodat=33, symlinkat=36, fchmod=52, fchmodat=53, add_key=217, request_key=218, keyctl=219, ioprio_get=31, sched_getattr=275),
}.get(platform.machine()) if struct.calcsize("P") == 8 else None  # a 32-bit Python: no filter
IO_URING = (425, 426, 427)  # io_uring_setup/enter/register: the same number on every architecture
FCHMODAT2 = 452  # the same number on every architecture
S_ISUID_ISGID = 0o6000
AF_UNIX, AF_VSOCK = 1, 40
SOCK_STREAM, SOCK_SEQPACKET = 1, 5
_libc = [None]


def libc():
    if _libc[0] is None:
        _libc[0] = ctypes.CDLL(None, use_errno=True)
    return _libc[0]


def scrub(extra=()):
    """Wipes every writable place (SCRATCH and `extra`) and removes SysV IPC objects; True when all
    of it is gone."""
    tops = SCRATCH + tuple(extra)
    for top in tops:
        wipe(top)
    remove_sysv_ipc()
    for top in tops:
        try:
            if os.listdir(top):
                return False
        except FileNotFoundError:
            continue
        except OSError:
            return False
    return not any(sysv_ids(kind) for kind in ("shm", "sem", "msg"))


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
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, stat.S_IRWXU)
                shutil.rmtree(path, onerror=fix)
            else:
                os.unlink(path)
        except (OSError, RecursionError):
            pass  # scrub() then finds it and the container is not reused


def sysv_ids(kind):
    try:
        with open("/proc/sysvipc/" + kind) as f:
            rows = f.read().splitlines()[1:]
    except OSError:
        return []
    return [int(r.split()[1]) for r in rows if len(r.split()) > 1]


def remove_sysv_ipc():
    """SysV shared memory, semaphores and queues outlive their processes: remove them (IPC_RMID)."""
    for ident in sysv_ids("shm"):
        libc().shmctl(ident, 0, None)
    for ident in sysv_ids("sem"):
        libc().semctl(ident, 0, 0)
    for ident in sysv_ids("msg"):
        libc().msgctl(ident, 0, None)


def process_state():
    """What of PID 1's state other same-uid processes can change and a forked kernel inherits."""
    import resource
    limits = [resource.getrlimit(getattr(resource, n)) for n in sorted(dir(resource)) if n.startswith("RLIMIT_")]
    state = [limits, os.getpriority(os.PRIO_PROCESS, 0), sorted(os.sched_getaffinity(0)), os.sched_getscheduler(0)]
    if ARCH:
        attr = ctypes.create_string_buffer(56)
        state.append(libc().syscall(ARCH["sched_getattr"], 0, attr, 56, 0) == 0 and attr.raw)  # policy, nice, priority, util clamps
        state.append(libc().syscall(ARCH["ioprio_get"], 1, 0))  # IOPRIO_WHO_PROCESS, self
    return state


def install_syscall_filter(deny_unix=False, deny_plant=False):
    """A seccomp filter on this process and everything it forks, in addition to the engine's
    profile (which a remote podman cannot be given: it reads profile paths on its own host):
    socket(AF_VSOCK), io_uring and the keyring syscalls fail with EPERM; syscalls of another ABI
    (i386, x32) are refused. With `deny_unix` (allowed folders bind-mounted: a read-only mount does
    not stop connect() to a host socket in them) socket(AF_UNIX) and datagram socketpairs (whose
    sendto() can name a path) fail with EPERM too; stream and seqpacket socketpairs (asyncio,
    multiprocessing) stay allowed: they are connected and cannot address a path. With `deny_plant`
    (a read-write folder bind-mounted) mknod/mknodat and symlink/symlinkat fail with EPERM
    everywhere (a filter cannot see paths): no FIFO planted there for host programs to block on or
    feed, no link that sends a host program's read or write out of the folder; and chmod, fchmod,
    fchmodat and fchmodat2 fail with EPERM when the mode has the set-uid or set-gid bit (nosuid on
    the mount binds only inside the container: on the host such a file would give whoever runs it
    the sandbox's uid, which every sandbox process of a rootful engine runs as). Needs no_new_privs,
    which bridge's containers have. True if installed."""
    if ARCH is None:
        return False
    try:
        with open("/proc/self/status") as f:
            if "NoNewPrivs:\t1" not in f.read():
                return False
    except OSError:
        return False
    LD, JEQ, JGE, AND, RET = 0x20, 0x15, 0x35, 0x54, 0x06  # BPF_LD|W|ABS, JMP|JEQ|K, JMP|JGE|K, ALU|AND|K, RET|K
    ALLOW, DENY = 0x7FFF0000, 0x00050000 | errno.EPERM  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO
    # seccomp_data: nr at offset 0, arch at 4, args[0] at 16, args[1] at 24 (low halves on
    # little-endian machines; the kernel reads family and type as int). Jumps to "allow"/"deny"
    # land on the last two instructions.
    prog = [(LD, 0, 0, 4), (JEQ, 1, 0, ARCH["audit"]), (RET, 0, 0, DENY), (LD, 0, 0, 0), (JGE, "deny", 0, 0x40000000)]
    denied = IO_URING + (ARCH["add_key"], ARCH["request_key"], ARCH["keyctl"])
    if deny_plant:
        denied += tuple(ARCH[n] for n in ("mknod", "mknodat", "symlink", "symlinkat") if n in ARCH)
    prog += [(JEQ, "deny", 0, nr) for nr in denied]
    if deny_plant:
        # mode is args[1] of chmod/fchmod, args[2] of fchmodat/fchmodat2 (umode_t: low half). A file
        # created with those bits by open() loses them at its first write (file_remove_privs).
        modes = [(ARCH[n], 24) for n in ("chmod", "fchmod") if n in ARCH] + [(ARCH["fchmodat"], 32), (FCHMODAT2, 32)]
        for nr, off in modes:
            prog += [(JEQ, 0, 3, nr), (LD, 0, 0, off), (AND, 0, 0, S_ISUID_ISGID), (JEQ, "allow", "deny", 0)]
    families = [(JEQ, "deny", 0, AF_VSOCK)] + ([(JEQ, "deny", 0, AF_UNIX)] if deny_unix else [])
    prog += [(JEQ, 0, len(families) + 2, ARCH["socket"]), (LD, 0, 0, 16)] + families + [(RET, 0, 0, ALLOW)]
    if deny_unix:
        # SOCK_TYPE_MASK 0xf; AF_UNIX turns SOCK_RAW into SOCK_DGRAM, so only these two are safe.
        prog += [(JEQ, 0, 4, ARCH["socketpair"]), (LD, 0, 0, 24), (AND, 0, 0, 0xF), (JEQ, "allow", 0, SOCK_STREAM), (JEQ, "allow", "deny", SOCK_SEQPACKET)]
    prog += [(RET, 0, 0, ALLOW), (RET, 0, 0, DENY)]
    end = len(prog)

    def rel(i, to):
        return to if isinstance(to, int) else (end - 2 if to == "allow" else end - 1) - i - 1

    code = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", op, rel(i, jt), rel(i, jf), k) for i, (op, jt, jf, k) in enumerate(prog)))
    fprog = ctypes.create_string_buffer(struct.pack("HxxxxxxQ", len(prog), ctypes.addressof(code)))
    c = ctypes
    # PR_SET_SECCOMP = 22, SECCOMP_MODE_FILTER = 2
    return libc().prctl(c.c_int(22), c.c_ulong(2), c.c_void_p(c.addressof(fprog)), c.c_ulong(0), c.c_ulong(0)) == 0
