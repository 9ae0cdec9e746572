"""Scripts the grader runs as child processes, by path; never imported by the grader.

``kernel_launch.py`` is the first process of a cold kernel (limits, cgroup, then exec of the
wrapper chain); ``zygote_main.py`` is the warm-kernel fork server (started inside bubblewrap with
its source on the command line); ``mount_view.py`` hides the home and the project inside
``unshare``'s mount namespace when bubblewrap is missing.  All use only the standard library.
"""
