"""Scripts the grader runs as child processes, by path; never imported by the grader.

``kernel_launch.py`` is the first process of a cold kernel (limits, cgroup, then exec of the
wrapper chain); ``zygote_main.py`` is the warm-kernel fork server (started inside bubblewrap with
its source on the command line).  Both use only the standard library.
"""
