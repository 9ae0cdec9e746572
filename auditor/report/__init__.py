"""The report stage (order: auditor.pipeline.STAGES): an ``AuditResult`` (or its JSON form) in, HTML, JSON and a terminal table out.

``view`` is the one view model (how a status, a question's result and a finding are shown),
``values`` the one value formatter, ``environment`` the one Jinja2 environment (autoescape,
StrictUndefined, the CSP) with ``markdown`` the one sanitiser of student markdown: the notebook
report (``html``) and the class report (``auditor.batch.class_report``) both use them.
``result_json`` is the JSON form; ``terminal`` the table; ``writer`` writes the files atomically.
"""
