"""Bytes <-> text for a Python file, remembering what must be written back exactly as it was."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tfdetlint.sources import decode_python

_BOM = b"\xef\xbb\xbf"
_NEWLINES = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class PythonText:
    """Decoded source plus what encoding it back needs: the codec, the BOM, the usual newline."""

    text: str
    encoding: str
    bom: bool
    newline: str

    def encode(self, text: str) -> bytes:
        # "utf-8-sig" from tokenize means a BOM was there; the BOM is written back by hand so that
        # a cookie-less UTF-8 file never gains one.
        codec = "utf-8" if self.encoding == "utf-8-sig" else self.encoding
        return (_BOM if self.bom else b"") + text.encode(codec)


def dominant_newline(text: str) -> str:
    """The line ending most lines use; new lines get it (ties: the first one seen)."""
    counts: dict[str, int] = {}
    for match in _NEWLINES.finditer(text):
        counts[match.group()] = counts.get(match.group(), 0) + 1
    if not counts:
        return "\n"
    return max(counts, key=lambda k: counts[k])  # dicts keep first-seen order, so ties go to it


def read_python(raw: bytes, path: str) -> PythonText:
    """Decode per PEP 263 (raises ``SourceError`` as the checker does)."""
    text, encoding = decode_python(raw, path)
    return PythonText(text, encoding, raw.startswith(_BOM), dominant_newline(text))
