"""The extract stage (order: auditor.pipeline.STAGES): a ``ParsedNotebook`` and its ``AssignmentSpec`` in, one ``Answer`` per
question out (``answers.extract``), wherever the student put it.
"""
