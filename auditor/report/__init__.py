"""Stage 7, report: an ``AuditResult`` in, HTML, JSON and a terminal table out.

``html`` renders through Jinja2 with autoescape; ``result_json`` is the JSON form; ``terminal``
the table; ``writer`` writes the files atomically.
"""
