"""Line edits and positions in the client's units: applied as an editor applies them, they give
exactly the fixed text, whatever the line endings and characters outside the BMP."""

from __future__ import annotations

import pytest

pytest.importorskip("pygls")

from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from tests.server.editing import apply
from tfdetlint.findings import Finding
from tfdetlint.server.diagnostics import finding_range
from tfdetlint.server.edits import Positions, text_edits

UTF16 = PositionCodec(types.PositionEncodingKind.Utf16)
lines = st.lists(st.sampled_from(["x = 1", "", "  y = f(2)", "é = '😀'", "# c"]), max_size=8)
endings = st.sampled_from(["\n", "\r\n"])


@given(lines, lines, endings, st.booleans())
def test_edits_turn_the_old_text_into_the_new(old_lines: list[str], new_lines: list[str], ending: str,
                                              final_break: bool) -> None:
    old = ending.join(old_lines) + (ending if final_break and old_lines else "")
    new = ending.join(new_lines) + (ending if new_lines else "")
    assert apply(old, text_edits(old, new, Positions(old, UTF16))) == new


def test_only_changed_lines_are_sent() -> None:
    old = "a = 1\nb = 2\nc = 3\n"
    edits = text_edits(old, "a = 1\nb = 20\nc = 3\n", Positions(old, UTF16))
    assert len(edits) == 1
    assert edits[0].range == types.Range(start=types.Position(line=1, character=0), end=types.Position(line=2, character=0))
    assert edits[0].new_text == "b = 20\n"


def test_columns_are_counted_in_utf16_units() -> None:
    text = "s = '😀'; x = tf.random.normal([2])\n"
    column = text.index("normal") + 1  # findings count characters
    finding = Finding("t.py", 1, column, "TFD101", "m", end_line=1, end_column=column + 6)
    span = finding_range(finding, Positions(text, UTF16))
    assert span.start.character == column - 1 + 1  # the emoji is two UTF-16 units
    assert span.end.character - span.start.character == 6


def test_a_finding_without_a_span_covers_the_rest_of_its_line_and_stays_in_the_text() -> None:
    text = "x = (\n"
    assert finding_range(Finding("t.py", 1, 5, "TFD000", "m"), Positions(text, UTF16)) == types.Range(
        start=types.Position(line=0, character=4), end=types.Position(line=0, character=5))
    beyond = finding_range(Finding("t.py", 9, 1, "TFD000", "m"), Positions(text, UTF16))
    assert beyond.start.line <= 1 and beyond.end.line <= 1
