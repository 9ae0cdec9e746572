"""Review stage: a TA finishes what the auditor leaves to a human, one question across the class.

Takes a batch folder (``auditor batch --out DIR``: summary.json, submissions/<id>.json) and gives:
- ``classdata``: the batch read back as answers per question (``load_batch``);
- ``grouping``: answers grouped so one decision grades a group (identical claims, near-identical text);
- ``database``: the TA's decisions in ``DIR/review.sqlite3`` (WAL, a version per decision: a stale
  write is refused), kept across re-runs of the batch while the answer text is unchanged;
- ``decisions``: points, rubric items, comments, and corrected readings re-judged by the same check;
- ``publish``: the decisions flowing out into grades.csv and each student's HTML report;
- ``export``: corrected readings as label files that ``auditor evaluate`` reads;
- ``app``: the local web app (Flask) that ``auditor review DIR`` serves on 127.0.0.1.
"""
