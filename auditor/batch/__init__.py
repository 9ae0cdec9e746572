"""A whole class: a folder of submissions in, per-submission reports, the class report,
``summary.json`` and ``grades.csv`` out (``runner.run_batch``).

``cache`` keeps each result as soon as it is done (resumable); ``dask_runner`` sends one task per
submission to a Dask cluster; ``copies`` finds copied answers; ``grades`` writes the CSV;
``warmup`` prepares the fork server the workers come from.
"""
