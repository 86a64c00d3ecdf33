"""Notebook documents (LSP notebook sync) as the ``.ipynb`` bytes the checker and fixer read.

An editor sends a notebook as cells, each its own text document. The checker reads notebooks as
``.ipynb`` JSON, numbering cells as Jupyter does (all of them, from 1) and counting lines inside
each cell, so the cells are written into a minimal nbformat 4 notebook in the editor's order; a
finding's ``cell`` is then the index of the cell document it belongs to, and its line is
already a line of that cell. A fixed notebook is read back the same way, cell by cell.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tfdetlint.sources import SourceError, cell_source, notebook_cells


@dataclass(frozen=True)
class CellText:
    uri: str
    code: bool  # a Python code cell (markdown and cells of other languages are not checked)
    text: str
    version: int | None = None  # the cell document's version this text is


def notebook_bytes(cells: Sequence[CellText]) -> bytes:
    """The cells as an nbformat 4 notebook with a Python kernel, in the layout Jupyter writes
    (one-space indent, a final newline), which the fixer reproduces byte for byte."""
    nb: dict[str, Any] = {
        "cells": [_cell(cell) for cell in cells],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _cell(cell: CellText) -> dict[str, Any]:
    source = cell.text.splitlines(keepends=True)
    if not cell.code:
        return {"cell_type": "markdown", "metadata": {}, "source": source}
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def cell_texts(raw: bytes) -> list[str] | None:
    """The source of every cell of a notebook's bytes, in order (None if it is not one)."""
    try:
        nb = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return None
    cells = notebook_cells(nb) if isinstance(nb, dict) else None
    if cells is None:
        return None
    texts = []
    for index, cell in enumerate(cells, start=1):
        try:
            texts.append(cell_source(cell, index) if isinstance(cell, dict) else "")
        except SourceError:
            return None
    return texts
