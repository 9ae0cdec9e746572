"""The execute stage (order: auditor.pipeline.STAGES): a ``ParsedNotebook`` in, an ``ExecutionResult`` out (``run.execute_notebook``).

The notebook runs in a fresh sandboxed kernel, forked from a warm zygote in a batch; values come
out of the kernel as plain data.  Modules, in the order a run uses them:

* ``notebook_build``: the notebook the kernel runs (package installs neutralised);
* ``probes`` (what this machine offers), ``view`` (the kernel's file-system view under bwrap),
  ``housekeeping`` (per-kernel uids and cgroups), ``sandbox`` (the policy and one kernel's plan:
  wrapper command, environment, kill), ``isolation`` (the layers ``auditor doctor`` shows);
* ``zygote`` (the warm servers of this process), ``zygote_server`` (one server, grader side),
  ``warm_kernel`` (a forked kernel's handle, provisioner and reaper);
* ``kernel_client`` (kernel manager and nbclient client), ``run`` (driving one run),
  ``kernel_values`` (values out of the kernel, validated), ``result`` (the ``ExecutionResult``).

Code that runs elsewhere, never imported by the grader: ``child/`` (``kernel_launch`` and
``zygote_main``, scripts the grader runs as child processes) and ``in_kernel/`` (sent as text
into the student's kernel).
"""
