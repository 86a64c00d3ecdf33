"""``# noqa`` as flake8 and ruff read it: on the finding's line, for all codes or the ones listed."""

from __future__ import annotations

import functools
import re

# flake8's grammar: "# noqa", "# noqa: TFD101", "# noqa:TFD101,TFD3" (code prefixes match).
_NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z][0-9A-Z]*(?:[,\s]+[A-Z][0-9A-Z]*)*))?", re.IGNORECASE)
_FILE_NOQA = re.compile(r"^#\s*tfdetlint\s*:\s*noqa\s*$", re.IGNORECASE | re.MULTILINE)


def file_is_exempt(text: str) -> bool:
    """``# tfdetlint: noqa`` on a line of its own turns the whole file off, like ``# ruff: noqa``."""
    return "noqa" in text and _FILE_NOQA.search(text) is not None


def suppressed(code: str, line_text: str) -> bool:
    codes = noqa_codes(line_text)
    if codes is None:
        return False
    return not codes or any(code.startswith(c) for c in codes)


@functools.lru_cache(maxsize=64)
def noqa_codes(line_text: str) -> tuple[str, ...] | None:
    """The codes a line's ``# noqa`` names (upper case), ``()`` for a bare ``# noqa``, None without one.

    Cached: one line may carry thousands of findings (generated code), and lowercasing and
    scanning a long line once per finding made that quadratic.
    """
    if "noqa" not in line_text.lower():
        return None
    codes: list[str] = []
    for match in _NOQA.finditer(line_text):
        listed = match.group("codes")
        if listed is None:
            return ()
        codes += [c.upper() for c in re.split(r"[,\s]+", listed) if c]
    return tuple(codes) if codes else None
