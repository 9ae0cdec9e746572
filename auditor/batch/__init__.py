"""A whole class: a folder of submissions in, per-submission reports, the class report,
``summary.json`` and ``grades.csv`` out (``runner.run_batch``).

``discover`` finds the notebooks; ``task`` audits one submission in a worker; ``local_pool`` runs
the tasks on reused worker processes, ``dask_runner`` on a Dask cluster; ``cache`` keeps each
result as soon as it is done (resumable); ``copies`` finds copied answers; ``outputs`` writes the
class outputs (``class_report`` the page, ``grades`` the CSV); ``warmup`` prepares the fork server
the workers come from.
"""
