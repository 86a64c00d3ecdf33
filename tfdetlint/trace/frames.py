"""Which stack frames are the user's: not TensorFlow, Keras, other installed packages, the
standard library or tfdetlint itself."""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Iterable

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)).rsplit(os.sep, 1)[0]
_LIBRARY_DIRS = tuple(
    {
        os.path.abspath(p)
        for name in ("stdlib", "platstdlib", "purelib", "platlib")
        if (p := sysconfig.get_paths().get(name))
    }
)
_LIBRARY_PARTS = (f"{os.sep}site-packages{os.sep}", f"{os.sep}dist-packages{os.sep}")


def is_user_file(path: str) -> bool:
    if not path or os.path.basename(path).startswith("<"):  # <frozen runpy>, <string>, <stdin>
        return False
    path = os.path.abspath(path)
    if any(part in path for part in _LIBRARY_PARTS):
        return False
    if path.startswith(_PACKAGE_DIR + os.sep):
        return False
    return not any(path.startswith(d + os.sep) for d in _LIBRARY_DIRS)


def user_frames(frames: Iterable[tuple[str, int]]) -> list[list[str | int]]:
    """The user's frames, outermost first (the last one is where the op was made)."""
    return [[os.path.abspath(f), int(line)] for f, line in frames if is_user_file(f)]
