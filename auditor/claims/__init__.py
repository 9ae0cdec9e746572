"""The claims stage (order: auditor.pipeline.STAGES): an ``Answer`` and its ``QuestionSpec`` in, a ``Claim`` out (``read.read_claim``).

One reader per claim kind (``verdict``, ``number``, ``shape``, ``formula``, ``concept``, ``code``);
``text`` holds the text plumbing they share. An unreadable claim is ``review``, never a guess.
"""
