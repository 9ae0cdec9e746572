"""Hide the grader's home and the auditor's project from a kernel without bubblewrap.

Run by path inside ``unshare``'s new mount namespace (private propagation: nothing reaches the
host), before ``setpriv`` drops to the sandbox uid::

    python -I -S mount_view.py SPEC_JSON -- CMD...

SPEC: {"hide": [directories], "hide_files": [files], "keep": [directories]}.  Each hidden
directory gets an empty tmpfs over it, each hidden file /dev/null; each kept directory (the
interpreter's own, inside a hidden one: a virtual environment under /root) is bound back
read-only, with world-traversable parents, so an unprivileged uid can run the interpreter.  Then
exec CMD.  Standard library only; never imported.
"""
import ctypes
import json
import os
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV = 1, 2, 4
MS_REMOUNT, MS_BIND, MS_REC = 32, 4096, 16384
_libc = ctypes.CDLL(None, use_errno=True)


def _mount(src, target, fstype, flags, data=None):
    enc = (lambda s: None if s is None else s.encode())
    if _libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def main(argv):
    if len(argv) < 4 or argv[2] != "--":
        sys.stderr.write("usage: mount_view.py SPEC_JSON -- CMD...\n")
        return 2
    spec = json.loads(argv[1])
    # a handle on each kept directory before its hidden parent is covered
    kept = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in spec.get("keep", ())]
    for path in spec.get("hide", ()):
        _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    for path in spec.get("hide_files", ()):
        _mount("/dev/null", path, None, MS_BIND)
    umask = os.umask(0o022)
    for path, fd in kept:
        os.makedirs(path, mode=0o755, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        _mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)
    os.umask(umask)
    cmd = argv[3:]
    os.execvp(cmd[0], cmd)
    return 127  # pragma: no cover - execvp does not return


if __name__ == "__main__":
    sys.exit(main(sys.argv))
