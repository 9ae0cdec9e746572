"""The assignment stage (order: auditor.pipeline.STAGES): a ``ParsedNotebook`` in, the ``AssignmentSpec`` it answers out.

``spec`` reads spec files (TOML) and the shipped specs; ``match`` picks the spec that fits the
notebook's content; ``specless`` builds a spec from the notebook's own structure when none fits;
``structure`` finds sections and questions; ``draft`` writes a spec from a blank template
(``auditor init``); ``fingerprint`` hashes the template's words (no readable text kept).
"""
