"""``# noqa`` as flake8 and ruff read it: on the finding's line, for all codes or the ones listed."""

from __future__ import annotations

import re

# flake8's grammar: "# noqa", "# noqa: TFD101", "# noqa:TFD101,TFD3" (code prefixes match).
_NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z][0-9A-Z]*(?:[,\s]+[A-Z][0-9A-Z]*)*))?", re.IGNORECASE)
_FILE_NOQA = re.compile(r"^#\s*tfdetlint\s*:\s*noqa\s*$", re.IGNORECASE | re.MULTILINE)


def file_is_exempt(text: str) -> bool:
    """``# tfdetlint: noqa`` on a line of its own turns the whole file off, like ``# ruff: noqa``."""
    return "noqa" in text and _FILE_NOQA.search(text) is not None


def suppressed(code: str, line_text: str) -> bool:
    if "noqa" not in line_text.lower():
        return False
    for match in _NOQA.finditer(line_text):
        codes = match.group("codes")
        if codes is None:
            return True
        if any(code.startswith(c.upper()) for c in re.split(r"[,\s]+", codes) if c):
            return True
    return False
