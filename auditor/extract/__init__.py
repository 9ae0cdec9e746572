"""Stage 3, extract: a ``ParsedNotebook`` and its ``AssignmentSpec`` in, one ``Answer`` per
question out (``answers.extract``), wherever the student put it.
"""
