# Runs INSIDE the student's kernel, before any student cell (sent as text by auditor.execute.run,
# which appends the calls: __auditor_cap(LIMIT, MARKER), __auditor_pin_packer(), then deletes both
# names).  Comments only, no docstring: a docstring would become the kernel's __doc__.
#
# __auditor_cap caps stdout/stderr writes per cell (a courtesy: the grader-side cap and the ZMQ
# message cap hold even if the student removes it); __auditor_pin_packer pins the kernel's message
# packer to the json.dumps it has now.


def __auditor_cap(limit, marker):
    import sys
    from IPython import get_ipython
    state = {"n": 0, "cut": False}
    def install():
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if getattr(stream.write, "_auditor_cap", False):
                continue
            original = stream.write
            def write(text, _original=original):
                n = state["n"]
                state["n"] = n + len(text)
                if n + len(text) <= limit:
                    return _original(text)
                if not state["cut"]:
                    state["cut"] = True
                    _original(text[: max(0, limit - n)] + "\n" + marker + "\n")
                return len(text)
            write._auditor_cap = True
            stream.write = write
    def reset(*args, **kwargs):
        state["n"] = 0
        state["cut"] = False
        install()       # again: a context that wrapped write (IPython 9's tee) restores it on exit
    get_ipython().events.register("pre_run_cell", reset)
    install()
    # IPython 9 also copies every write of a cell into its output history ("tee"), uncapped:
    # 500 MB printed would sit in the kernel's memory.  Nobody reads that history here.
    if hasattr(type(get_ipython()), "_tee"):
        import contextlib
        get_ipython()._tee = lambda channel: contextlib.nullcontext()


def __auditor_pin_packer():
    # The kernel's messages are packed with the json.dumps it has now: a student who replaces
    # json.dumps (to forge values) cannot corrupt them.  (Replacing the session's own packer
    # breaks the protocol instead, which the grader reports as the kernel's failure.)
    import json
    from IPython import get_ipython
    from jupyter_client.jsonutil import json_clean, json_default
    dumps = json.dumps
    def pack(obj):
        try:
            text = dumps(obj, default=json_default, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            text = dumps(json_clean(obj), default=json_default, ensure_ascii=False, allow_nan=False)
        return text.encode("utf8", errors="surrogateescape")
    get_ipython().kernel.session.pack = pack
