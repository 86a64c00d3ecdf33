"""Apply LSP text edits as an editor does, independently of the server's own edit code."""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types


def edits_for(edit: types.WorkspaceEdit | None, uri: str) -> list[types.TextEdit]:
    """The text edits a workspace edit makes to ``uri`` (``changes`` or ``documentChanges``)."""
    assert edit is not None
    found: list[types.TextEdit] = []
    if edit.changes:
        found += edit.changes.get(uri, [])
    for change in edit.document_changes or []:
        assert isinstance(change, types.TextDocumentEdit), change
        if change.text_document.uri == uri:
            found += [e for e in change.edits if isinstance(e, types.TextEdit)]
    return found


def apply(text: str, edits: Sequence[types.TextEdit]) -> str:
    """Apply edits as an editor does: ranges refer to the original text, positions in UTF-16."""
    lines = text.splitlines(keepends=True)

    def offset(position: types.Position) -> int:
        if position.line >= len(lines):
            return len(text)
        before = sum(len(line) for line in lines[: position.line])
        units, chars = 0, 0
        for char in lines[position.line]:
            if units >= position.character:
                break
            units += 2 if ord(char) > 0xFFFF else 1
            chars += 1
        return before + chars

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text
