"""How much fuzzing to do: a fast bounded mode by default, more with ``pytest --fuzz-long``.

``conftest.py`` sets ``LONG`` before the test modules are imported, so that the numbers can
be used in ``@settings(...)`` decorators.
"""

from __future__ import annotations

LONG = False


def examples(fast: int, long: int) -> int:
    return long if LONG else fast
