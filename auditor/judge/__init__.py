"""The judge stage (order: auditor.pipeline.STAGES): claims in, findings out.

``registry`` finds, loads and classifies the check plugins (entry points ``auditor.checks``, the
built-in ones included) and runs one with its inputs given by parameter name; ``tamper`` finds
template text the student changed (compares the spec's canonical facts with the submission's and
builds the ``tampered`` findings), from the facts ``tamper_facts`` extracts (a code cell's
normalised calls and literals via ``ast``, a markdown statement's numbers).
"""
