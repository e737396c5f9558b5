/**
 * Python for run_python that tries the syscalls bridge refuses in the sandbox (AF_VSOCK sockets,
 * io_uring, keyrings, user namespaces) and the ordinary things Python must still do; it prints a
 * JSON report (errno names for refused calls, "open" for allowed ones).
 */
export const SYSCALL_PROBE = `
import socket, ctypes, os, threading, subprocess, asyncio, json, errno
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
res = {}
try:
    v = socket.socket(40, socket.SOCK_STREAM)  # AF_VSOCK
    v.bind((0xFFFFFFFF, 5005))
    res["vsock"] = "open"
except OSError as e:
    res["vsock"] = errno.errorcode.get(e.errno, str(e.errno))
r = libc.syscall(425, 8, ctypes.create_string_buffer(120))  # io_uring_setup
res["io_uring_setup"] = "open" if r >= 0 else errno.errorcode[ctypes.get_errno()]
r = libc.syscall({"x86_64": 250, "aarch64": 219}[os.uname().machine], 0, -3, 0)  # keyctl(GET_KEYRING_ID, session)
res["keyctl"] = "open" if r >= 0 else errno.errorcode[ctypes.get_errno()]
r = libc.unshare(0x10000000)  # CLONE_NEWUSER
res["unshare"] = "open" if r == 0 else errno.errorcode[ctypes.get_errno()]
box = []
t = threading.Thread(target=lambda: box.append("thread")); t.start(); t.join()
res["thread"] = box
res["subprocess"] = subprocess.run(["sh", "-c", "echo sub"], capture_output=True, text=True).stdout
async def child():
    p = await asyncio.create_subprocess_exec("echo", "async", stdout=asyncio.subprocess.PIPE)
    out, _ = await p.communicate()
    await asyncio.sleep(0.01)
    return out.decode()
res["asyncio"] = await child()
import multiprocessing, concurrent.futures
with multiprocessing.Pool(2) as pool:
    res["multiprocessing"] = pool.map(abs, [-1, -2])
with concurrent.futures.ThreadPoolExecutor(4) as ex:
    res["threadpool"] = list(ex.map(lambda x: x * 2, range(4)))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
res["inet_loopback"] = u.getsockname()[0]
print(json.dumps(res))
`;

/** The ordinary part of the report when everything works. */
export const WORKS = {
  thread: ["thread"],
  subprocess: "sub\n",
  asyncio: "async\n",
  multiprocessing: [1, 2],
  threadpool: [0, 2, 4, 6],
  inet_loopback: "127.0.0.1",
};
