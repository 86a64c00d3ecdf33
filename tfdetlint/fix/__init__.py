"""``tfdetlint --fix`` / ``--diff``: apply the fix intents findings carry, with libcst.

The checker decides what is wrong and how to fix it (``tfdetlint.intents``); this package only
locates the intent's nodes, renders the edit and writes it. Files are parsed with libcst so that
everything outside an edited span (comments, quotes, line endings, encoding) is kept byte for byte.
"""
