"""The fork server ("zygote") that hands out warm kernels: runs *inside* bubblewrap, never imported.

Started by :mod:`auditor.execute.zygote` as ``python -c SOURCE CONFIG_JSON`` inside the same read-only
bwrap view the cold path gives each kernel (the project directory is hidden there, hence the
source on the command line), as root with its capabilities kept (``--cap-add ALL``) so it can
build each kernel's namespaces.  It imports ipykernel, numpy and torch once, then for each
request (one JSON line on its unix socket) forks a fresh kernel:

    zygote ──unshare(pid), fork, setns(back)──>
                     C2 (pid 1 of a new pid namespace): joins the kernel's cgroup, sets the
                         rlimits, unshare(mount, network, ipc, uts); private mounts: fresh
                         /proc, /tmp holding only the kernel's sandbox dir (and, read-only,
                         the interpreter's directories under /tmp), fresh /dev/shm, the
                         cgroup mount read-only again, loopback up; forks C3, drops to the
                         sandbox uid, reaps, reports C3's wait status, exits (the namespace
                         dies with it)
                     C3 (pid 2): new session, scrubbed environment, working directory, closes
                         every inherited descriptor, drops all capabilities and becomes the
                         fresh unprivileged uid, then runs ipykernel on the connection file.

(The zygote's unshare(CLONE_NEWPID) only decides where its *next* child goes; setns to its own
namespace right after the fork undoes it.  Two forks of the zygote's pages per kernel, not three.)

No student code ever runs in the zygote or before C3 is unprivileged.  The zygote is
single-threaded (forking a threaded process is unsafe) and exits when its stdin (a pipe from
the grader) closes, which kills every kernel with it (its pid namespace ends).
"""
import collections
import ctypes
import gc
import json
import os
import resource
import selectors
import signal
import socket
import struct
import sys

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 32, 4096, 8192, 16384, 1 << 18
PR_CAPBSET_DROP = 24
PR_SET_NAME = 15
PR_SET_PDEATHSIG = 1
STAGE = "/tmp/.auditor-stage"
_LIMITS = {"as": resource.RLIMIT_AS, "cpu": resource.RLIMIT_CPU, "nproc": resource.RLIMIT_NPROC,
           "fsize": resource.RLIMIT_FSIZE, "nofile": resource.RLIMIT_NOFILE,
           "core": resource.RLIMIT_CORE}
_libc = ctypes.CDLL(None, use_errno=True)


def _check(rc, what):
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(src, target, fstype, flags, data=None):
    enc = (lambda s: None if s is None else s.encode())
    _check(_libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {target}")


def _under(path, parent):
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _loopback_up():
    import fcntl
    siocgifflags, siocsifflags = 0x8913, 0x8914
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s, siocgifflags, req)[:18])[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sH", b"lo", flags | 0x1 | 0x40))


def _private_mounts(req):
    """C2, in its new mount namespace: the kernel's view of /proc, /tmp, /dev/shm, cgroups."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    root = req["root"]
    # A fresh /tmp that holds only the path to this kernel's own directory: build it aside,
    # then move it over /tmp (the zygote's /tmp, with every other kernel's directory, is gone).
    _mount("tmpfs", STAGE, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    inside = os.path.join(STAGE, os.path.relpath(root, "/tmp"))
    os.makedirs(inside, mode=0o755)
    _mount(root, inside, None, MS_BIND | MS_REC)
    # the interpreter's own directories under /tmp (a virtual environment made there), read-only
    for keep in req.get("tmp_binds", ()):
        if _under(keep, root) or _under(root, keep):
            continue
        target = os.path.join(STAGE, os.path.relpath(keep, "/tmp"))
        os.makedirs(target, mode=0o755, exist_ok=True)
        _mount(keep, target, None, MS_BIND | MS_REC)
        _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    _mount(STAGE, "/tmp", None, MS_MOVE)
    _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    for path in req.get("readonly_again", ()):
        _mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
    _loopback_up()


def _set_name(name):
    """The process name ps/top/perf show (comm): which auditor process is which."""
    _libc.prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)


def _become_user(uid):
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break                          # past the last capability the kernel knows
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    status = open("/proc/self/status").read()
    caps = {k: v.strip() for k, v in (line.split(":", 1) for line in status.splitlines() if ":" in line)}
    if os.getuid() != uid or int(caps["CapEff"], 16) or int(caps["CapPrm"], 16) \
            or int(caps["CapInh"], 16) or caps.get("NoNewPrivs") != "1":
        raise RuntimeError("privileges not dropped: " + repr({k: caps.get(k) for k in
                                                              ("CapEff", "CapPrm", "CapInh", "NoNewPrivs")}))


def _run_kernel(req):
    """C3: becomes the student's kernel.  Never returns."""
    _set_name("auditor-kernel")
    os.setsid()
    env = {k: v for k, v in req["env"].items() if k != "JPY_PARENT_PID"}
    env["PWD"] = req["workdir"]
    os.environ.clear()
    os.environ.update(env)
    os.chdir(req["workdir"])
    os.umask(0o077)
    os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    _become_user(req["uid"])
    if "numpy" in sys.modules:             # the zygote's seed must not be shared by students
        sys.modules["numpy"].random.seed()
    if sys.path and sys.path[0] == "":     # as ipykernel_launcher does
        del sys.path[0]
    sys.argv = ["ipykernel_launcher", "-f", req["connection_file"], *req.get("kernel_args", ())]
    if req.get("test"):
        os._exit(0)
    from ipykernel.kernelapp import IPKernelApp
    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:])
    app.start()
    os._exit(0)


def _kid(req, status_w):
    """C2, pid 1 of the kernel's new pid namespace (then C3 below it).  Never returns."""
    code = 70
    try:
        _set_name("auditor-kinit")
        os.setsid()
        null = os.open("/dev/null", os.O_RDWR)
        log = os.open(req["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600) if req.get("log") else null
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.dup2(log, 2)
        for procs in req.get("cgroup_procs", ()):
            with open(procs, "w") as f:
                f.write(str(os.getpid()))      # "1": read in our own pid namespace's terms
        for name, value in req.get("rlimits", {}).items():
            resource.setrlimit(_LIMITS[name], (int(value), int(value)))
        _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")
        # the kernel goes when the zygote (whose stdin is the grader's pipe) goes
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        _private_mounts(req)
        c3 = os.fork()
        if c3 == 0:
            os.close(status_w)
            _run_kernel(req)
        _become_user(req["uid"])
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)   # a uid change cleared it
        while True:                    # pid 1: reap everything until the kernel is gone
            pid, st = os.wait()
            if pid == c3:
                os.write(status_w, struct.pack("i", st))
                break
        code = 0
    except BaseException as exc:           # never fall back into the zygote's loop
        try:
            os.write(2, f"auditor zygote: kernel setup failed: {exc!r}\n".encode())
        except OSError:
            pass
    os._exit(code)


#: a forked kernel: the grader's connection that asked for it, the read end of its status pipe,
#: and its request
Kid = collections.namedtuple("Kid", "conn status_r req")


class Zygote:
    def __init__(self, cfg):
        self.cfg = cfg
        self.own_pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        self.sel = selectors.DefaultSelector()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(cfg["socket"])
        self.listener.listen(64)
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *a: None)
        self.sel.register(self.listener, selectors.EVENT_READ, "accept")
        self.sel.register(sys.stdin.fileno(), selectors.EVENT_READ, "grader")
        self.sel.register(self.wake_r, selectors.EVENT_READ, "child")
        self.buffers = {}           # conn -> bytes received
        self.kids = {}              # pid -> Kid

    def fork(self, req, conn):
        status_r, status_w = os.pipe()
        # the next child starts a new pid namespace as its pid 1; then back to our own
        _check(_libc.unshare(CLONE_NEWPID), "unshare(CLONE_NEWPID)")
        pid = -1
        try:
            pid = os.fork()
        finally:
            if pid != 0 and _libc.setns(self.own_pid_ns, CLONE_NEWPID) != 0:
                # cannot undo the unshare: every later kernel would share one pid namespace.
                # Stop serving (graders then say why and start kernels cold).
                if pid > 0:
                    os.kill(pid, signal.SIGKILL)
                os.write(2, b"auditor zygote: setns back to its own pid namespace failed; exiting\n")
                os._exit(75)
        if pid == 0:
            try:
                os.close(status_r)
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                self.sel.close()
                for c in list(self.buffers):
                    c.close()
                self.listener.close()
                os.close(self.wake_r)
                os.close(self.wake_w)
                os.close(self.own_pid_ns)
            except BaseException:
                os._exit(71)
            _kid(req, status_w)
        os.close(status_w)
        self.kids[pid] = Kid(conn, status_r, req)
        return pid

    def reap(self):
        while self.kids:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn, status_r, _ = self.kids.pop(pid, Kid(None, None, None))
            if status_r is None:
                continue
            raw = os.read(status_r, 4)
            os.close(status_r)
            status = struct.unpack("i", raw)[0] if len(raw) == 4 else None
            rc = os.waitstatus_to_exitcode(status) if status is not None else None
            if conn is not None:
                self.reply(conn, {"exit": rc, "setup_failed": status is None})

    def reply(self, conn, msg):
        try:
            conn.sendall(json.dumps(msg).encode() + b"\n")
        except OSError:
            pass

    def kill_kernels_of(self, conn):
        """The grader behind ``conn`` is gone (it closed the connection, or died): kill every
        kernel it asked for that still runs (C2, the namespace's pid 1, whose death ends it, and all in
        the kernel's cgroup).  A pid still in self.kids is not reaped, so it is not reused."""
        for pid, (owner, _, req) in list(self.kids.items()):
            if owner is not conn:
                continue
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            for procs in req.get("cgroup_procs", ()):
                try:
                    with open(procs) as f:
                        victims = [int(p) for p in f.read().split()]
                except (OSError, ValueError):
                    continue
                for victim in victims:
                    try:
                        os.kill(victim, signal.SIGKILL)
                    except OSError:
                        pass

    def handle(self, conn, data):
        if not data:
            self.kill_kernels_of(conn)
            self.sel.unregister(conn)
            self.buffers.pop(conn, None)
            conn.close()
            return
        buf = self.buffers.get(conn, b"") + data
        if b"\n" not in buf:
            self.buffers[conn] = buf
            return
        line, buf = buf.split(b"\n", 1)
        self.buffers[conn] = buf
        try:
            req = json.loads(line)
            pid = self.fork(req, conn)
        except (ValueError, OSError) as exc:     # the zygote goes on serving the others
            self.reply(conn, {"error": repr(exc)})
            return
        self.reply(conn, {"forked": pid})

    def self_test(self, req):
        """Fork one kernel through every step but ipykernel, as the readiness check: True when
        it was set up."""
        pid = self.fork(dict(req, test=True), None)
        status_r = self.kids.pop(pid).status_r
        os.waitpid(pid, 0)
        raw = os.read(status_r, 4)
        os.close(status_r)
        return len(raw) == 4 and struct.unpack("i", raw)[0] == 0

    def serve(self):
        while True:
            for key, _ in self.sel.select(timeout=1.0):
                if key.data == "accept":
                    conn, _ = self.listener.accept()
                    self.sel.register(conn, selectors.EVENT_READ, "conn")
                    self.buffers[conn] = b""
                elif key.data == "grader":
                    if not os.read(sys.stdin.fileno(), 4096):
                        return          # the grader is gone: so are we (and every kernel)
                elif key.data == "child":
                    try:
                        while os.read(self.wake_r, 4096):
                            pass
                    except BlockingIOError:
                        pass
                    self.reap()
                else:
                    try:
                        data = key.fileobj.recv(65536)
                    except OSError:
                        data = b""
                    self.handle(key.fileobj, data)
            self.reap()


def main():
    os.umask(0o022)                       # the launcher's 077 is for kernels, set again in C3
    _set_name("auditor-zygote")
    cfg = json.loads(sys.argv[1])
    for name in cfg.get("preload", ()):
        try:
            __import__(name)
        except ImportError:
            pass
    os.makedirs(STAGE, mode=0o755, exist_ok=True)
    # Keep the imported modules' objects out of every kernel's garbage collections: a
    # collection touches each object it tracks, which would copy the shared pages in every fork.
    gc.collect()
    gc.freeze()
    zygote = Zygote(cfg)
    why = "" if zygote.self_test(cfg["self_test"]) else "a test kernel could not be set up (see the zygote log)"
    vsz = resource.getpagesize() * int(open("/proc/self/statm").read().split()[0])
    sys.stdout.write(json.dumps({"ready": not why, "why": why, "address_space_bytes": vsz}) + "\n")
    sys.stdout.flush()
    if why:
        return 1
    zygote.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
