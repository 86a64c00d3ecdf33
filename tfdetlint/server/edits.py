"""Positions and text edits in the units the client counts in (UTF-16 unless negotiated).

Findings count columns in characters (code points), as the CLI prints them; LSP positions count
in the negotiated encoding's code units, so each position is converted against its line's text.
A fix is sent as the lines it changes, not as a whole new document, so the editor keeps the
cursor, folds and marks everywhere else.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from pygls.workspace.position_codec import PositionCodec

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class Positions:
    """Converts (0-based line, 0-based character) of one text to client positions, clamped to
    the text (a finding of an older version of the buffer must still give a valid range)."""

    def __init__(self, text: str, codec: PositionCodec) -> None:
        self.lines = _LINE_BREAK.split(text)
        self.codec = codec

    def at(self, line: int, character: int) -> types.Position:
        if line < 0:
            return types.Position(line=0, character=0)
        if line >= len(self.lines):
            last = len(self.lines) - 1
            return self.at(last, len(self.lines[last]))
        character = max(0, min(character, len(self.lines[line])))
        return types.Position(line=line, character=self.codec.client_num_units(self.lines[line][:character]))

    def line_end(self, line: int) -> types.Position:
        line = max(0, min(line, len(self.lines) - 1))
        return self.at(line, len(self.lines[line]))

    def whole_line(self, line: int) -> types.Range:
        return types.Range(start=self.at(line, 0), end=self.line_end(line))


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` with their line breaks (LSP counts only \\n, \\r\\n and \\r)."""
    return _LINE.findall(text)


def text_edits(old: str, new: str, positions: Positions) -> list[types.TextEdit]:
    """The edits that turn ``old`` into ``new``: one per run of changed lines."""
    before, after = split_lines(old), split_lines(new)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    edits = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start = _line_start(before, i1, positions)
        end = _line_start(before, i2, positions)
        edits.append(types.TextEdit(range=types.Range(start=start, end=end), new_text="".join(after[j1:j2])))
    return edits


def _line_start(lines: Sequence[str], index: int, positions: Positions) -> types.Position:
    """Where line ``index`` starts; past the last line, the end of the text (which is the start
    of the empty line after a final line break, or the end of an unterminated last line)."""
    if index < len(lines):
        return types.Position(line=index, character=0)
    if not lines:
        return types.Position(line=0, character=0)
    last = lines[-1]
    if last.endswith(("\n", "\r")):
        return types.Position(line=len(lines), character=0)
    return positions.line_end(len(lines) - 1)
