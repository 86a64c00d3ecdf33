"""``tfdetlint server``: a Language Server Protocol server on stdio.

The analysis and fix layers (``engine``, ``fix``, ``config``, ``project``) know nothing of the
protocol; ``buffers`` and ``notebooks`` run them on editor buffers, ``projects`` keeps project
state warm between requests, and only ``lsp``, ``diagnostics`` and ``actions`` import pygls and
lsprotocol (lazily, from ``command``), so ``tfdetlint check`` never loads them.
"""
