"""Where a notebook cell's source lies in the ``.ipynb`` file itself.

Code scanning (SARIF) and GitHub annotations point at lines of the file as stored, which for a
notebook is JSON: a cell line is (usually) one JSON string on its own line, with escapes. This
scans the JSON text once, keeps the string tokens that make up each cell's ``source`` (nbformat
4) or ``input`` (nbformat 3), and maps (cell, line, column) to (file line, file column).
"""

from __future__ import annotations

import bisect
import json
import re

_KEY = re.compile(r'"(source|input)"\s*:\s*')
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.DOTALL)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SURROGATE_PAIR = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}")


class NotebookPositions:
    """Built from the notebook's text; ``file_position`` does the mapping (None if unknown)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
        self._cells: dict[int, list[tuple[int, str]]] | None = None

    def file_position(self, cell: int, line: int, column: int) -> tuple[int, int] | None:
        """(line, column), 1-based, in the .ipynb text of 1-based ``line``/``column`` of ``cell``."""
        if self._cells is None:
            self._cells = self._cell_tokens()
        pieces = self._cells.get(cell)
        if not pieces:
            return None
        decoded = [json.loads(token) for _, token in pieces]
        source = "".join(decoded)
        starts = [0] + [m.end() for m in _LINE_BREAK.finditer(source)]
        if not 1 <= line <= len(starts):
            return None
        offset = starts[line - 1] + column - 1
        for (start, token), text in zip(pieces, decoded, strict=True):
            if offset < len(text) or (start, token) == pieces[-1]:
                raw = start + 1 + _raw_index(token, min(offset, len(text)))
                row = bisect.bisect_right(self._line_starts, raw) - 1
                return row + 1, raw - self._line_starts[row] + 1
            offset -= len(text)
        return None

    def _cell_tokens(self) -> dict[int, list[tuple[int, str]]]:
        """Cell index (as Jupyter numbers cells: all of them) -> the string tokens of its source.

        Fast way first: each cell's ``"source": value`` found in order by a key search whose value
        must decode to that cell's source (so a look-alike inside an output is passed over); a
        notebook where that fails is scanned token by token."""
        try:
            return self._by_key_search()
        except (ValueError, LookupError):
            return self._by_full_scan()

    def _by_key_search(self) -> dict[int, list[tuple[int, str]]]:
        nb = json.loads(self.text)
        cells = nb.get("cells") if isinstance(nb, dict) else None
        if not isinstance(cells, list):
            worksheets = nb.get("worksheets") if isinstance(nb, dict) else None
            cells = [c for w in worksheets or [] if isinstance(w, dict) for c in w.get("cells") or []]
        decoder = json.JSONDecoder()
        keys = _KEY.finditer(self.text)
        found: dict[int, list[tuple[int, str]]] = {}
        for index, cell in enumerate(cells, start=1):
            if not isinstance(cell, dict):
                continue
            name = "input" if "source" not in cell and "input" in cell else "source"
            wanted = cell.get(name)
            if not wanted or not isinstance(wanted, (str, list)):
                continue
            while True:
                match = next(keys, None)
                if match is None:
                    raise LookupError(f"the source of cell {index} was not found")
                if match.group(1) != name:
                    continue
                try:
                    value, end = decoder.raw_decode(self.text, match.end())
                except ValueError:
                    continue
                if value == wanted:
                    break
            span = self.text[match.end():end]
            found[index] = [(match.end() + m.start(), m.group()) for m in _STRING.finditer(span)]
        return found

    def _by_full_scan(self) -> dict[int, list[tuple[int, str]]]:
        cells: dict[int, list[tuple[int, str]]] = {}
        for index, (_, tokens) in enumerate(sorted(self._all_cells().items()), start=1):
            if tokens:
                cells[index] = tokens
        return cells

    def _all_cells(self) -> dict[tuple[int, ...], list[tuple[int, str]]]:
        """Every cell (by its position in the JSON), with its source tokens (maybe none)."""
        stack: list[list[object]] = []
        cells: dict[tuple[int, ...], list[tuple[int, str]]] = {}
        for match in _TOKEN.finditer(self.text):
            token = match.group()
            first = token[0]
            if first in "{[":
                if first == "{":
                    where = _cell_path([frame[1] for frame in stack])
                    if where is not None and len(stack) in (2, 4):
                        cells.setdefault(where, [])
                stack.append([first, None if first == "{" else 0, first == "{"])
            elif first in "}]":
                if stack:
                    stack.pop()
            elif first == ",":
                if stack:
                    frame = stack[-1]
                    if frame[0] == "[":
                        frame[1] = int(frame[1]) + 1  # type: ignore[call-overload]
                    else:
                        frame[2] = True
            elif first == ":":
                continue
            elif stack and stack[-1][0] == "{" and stack[-1][2]:
                try:
                    stack[-1][1] = json.loads(token)
                except ValueError:
                    stack[-1][1] = None
                stack[-1][2] = False
            elif first == '"':
                key = _source_key([frame[1] for frame in stack])
                if key is not None:
                    cells.setdefault(key, []).append((match.start(), token))
        return cells


def _cell_path(path: list[object]) -> tuple[int, ...] | None:
    """The position of a cell object whose ``{`` is at this path, if it is one."""
    if len(path) == 2 and path[0] == "cells" and isinstance(path[1], int):
        return (path[1],)
    if (len(path) == 4 and path[0] == "worksheets" and isinstance(path[1], int) and path[2] == "cells"
            and isinstance(path[3], int)):
        return (path[1], path[3])
    return None


def _source_key(path: list[object]) -> tuple[int, ...] | None:
    """The cell a string at this path is source text of (``cells[i].source[j]`` and the v3 form)."""
    if len(path) >= 3 and path[0] == "cells" and path[2] == "source" and len(path) <= 4:
        return _cell_path(path[:2])
    if len(path) >= 5 and path[0] == "worksheets" and path[4] == "input" and len(path) <= 6:
        return _cell_path(path[:4])
    return None


def _raw_index(token: str, decoded: int) -> int:
    """The index in the JSON string literal ``token`` (without its opening quote) of the
    ``decoded``-th character of its value."""
    raw = 1
    count = 0
    while count < decoded and raw < len(token) - 1:
        if token[raw] == "\\":
            if token[raw + 1] == "u":
                raw += 12 if _SURROGATE_PAIR.match(token, raw) else 6
            else:
                raw += 2
        else:
            raw += 1
        count += 1
    return raw - 1
