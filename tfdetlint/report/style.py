"""ANSI colours for people at a terminal (``--color``, ``NO_COLOR``)."""

from __future__ import annotations

import os
from typing import TextIO

RESET = "\033[0m"
BOLD = "\033[1m"
RED = "\033[31m"
CYAN = "\033[36m"
BLUE = "\033[34m"
DIM = "\033[2m"


def paint(text: str, code: str, enabled: bool) -> str:
    return f"{code}{text}{RESET}" if enabled and text else text


def use_color(choice: str, stream: TextIO) -> bool:
    """``always``/``never`` as asked; ``auto``: a terminal, unless ``NO_COLOR`` is set (no-color.org)
    or ``TERM=dumb``; ``FORCE_COLOR`` turns it on where the terminal test fails (CI logs)."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"
