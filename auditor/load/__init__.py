"""The load stage (order: auditor.pipeline.STAGES): a path in, a frozen ``ParsedNotebook`` out (``notebook.load_notebook``).

Broken JSON, non-notebooks, empty or non-UTF-8 files raise ``InputError`` with one line naming
the file and the problem. ``markdown_blocks`` parses a markdown cell into blocks once per process.
"""
