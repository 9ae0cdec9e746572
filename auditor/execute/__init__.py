"""Stage 6, execute: a ``ParsedNotebook`` in, an ``ExecutionResult`` out (``run.execute``).

The notebook runs in a fresh sandboxed kernel (``sandbox``: bubblewrap or unshare, rlimits, a
cgroup), forked from a warm ``zygote`` in a batch; values come out of the kernel as plain data
(``kernel_values``). ``kernel_launch`` and ``zygote_main`` are scripts that run in the child.
"""
