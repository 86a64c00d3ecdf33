"""Notebooks: fixed cell by cell; outputs, metadata, key order and JSON layout are kept.

Only the ``source`` of edited cells changes. The file is re-serialised with the layout it was
written with (nbformat: indent=1, non-ASCII kept, trailing newline); a notebook whose layout
cannot be reproduced exactly is left alone rather than reformatted.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

from tfdetlint.sources import neutralise_magics

_BOM = b"\xef\xbb\xbf"
_INDENT = re.compile(r"\n( +)\"")


@dataclass(frozen=True)
class Layout:
    indent: int | None
    ensure_ascii: bool
    separators: tuple[str, str] | None
    trailing_newline: bool
    bom: bool

    def dump(self, nb: Any) -> bytes:
        text = json.dumps(nb, indent=self.indent, ensure_ascii=self.ensure_ascii, separators=self.separators)
        if self.trailing_newline:
            text += "\n"
        return (_BOM if self.bom else b"") + text.encode("utf-8")


def detect_layout(raw: bytes, nb: Any) -> Layout | None:
    """The json.dumps settings that reproduce ``raw`` byte for byte, if there are any."""
    bom = raw.startswith(_BOM)
    text = raw[len(_BOM):].decode("utf-8") if bom else raw.decode("utf-8")
    trailing = text.endswith("\n")
    found = _INDENT.search(text)
    indents: list[int | None] = [len(found.group(1))] if found else []
    indents += [i for i in (1, 2, 4, None) if i not in indents]
    for indent in indents:
        for ensure_ascii in (False, True):
            for separators in (None, (",", ":")):
                layout = Layout(indent, ensure_ascii, separators, trailing, bom)
                if layout.dump(nb) == raw:
                    return layout
    return None


def cell_text(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def set_cell_text(cell: dict[str, Any], text: str) -> None:
    """Store ``text`` in the form the cell used: a list of lines (nbformat) or one string."""
    if isinstance(cell.get("source"), list):
        cell["source"] = text.splitlines(keepends=True)
    else:
        cell["source"] = text


def python_of(text: str) -> str:
    """The cell as Python: IPython magics become ``pass`` or blank lines, line for line."""
    return neutralise_magics(text)


def restore_magics(original: str, neutral: str, fixed: str) -> str | None:
    """Carry the edits made to ``neutral`` over to ``original`` (which still has its magics).

    Edits never touch a magic line; if a diff says otherwise, None (leave the cell alone).
    """
    if original == neutral:
        return fixed
    orig_lines = original.splitlines(keepends=True)
    neutral_lines = neutral.splitlines(keepends=True)
    fixed_lines = fixed.splitlines(keepends=True)
    if len(orig_lines) != len(neutral_lines):
        return None
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, neutral_lines, fixed_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out += orig_lines[i1:i2]
            continue
        if any(orig_lines[i] != neutral_lines[i] for i in range(i1, i2)):
            return None
        out += fixed_lines[j1:j2]
    return "".join(out)
