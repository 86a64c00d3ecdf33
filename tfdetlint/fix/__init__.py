"""``tfdetlint --fix`` / ``--diff``: libcst codemods that repair what the ast-based checker found.

The checker decides *what* is wrong; this package only edits. Files are parsed with libcst so that
everything outside an edited span (comments, quotes, line endings, encoding) is kept byte for byte.
"""
