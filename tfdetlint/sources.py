"""Read a file's bytes and turn them into the Python text the analysis parses.

Decoding follows PEP 263 (coding cookie, UTF-8 BOM). A notebook becomes one program: its code
cells in order, each turned into Python the way IPython runs it (``notebook_cells``), line for
line, with a map back to cell, line and column. A cell Jupyter itself would reject is blank in
the program and reported on its own (``Source.problems``).
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from tfdetlint.notebook_cells import RUN_ALIAS, CellPython, cell_to_python, default_finder
from tfdetlint.notebook_json import NotebookPositions

MAX_FILE_BYTES = 20 * 1024 * 1024


class SourceError(Exception):
    """The file cannot be analysed; the message says why, in one line, ``line`` where."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Cell:
    index: int  # 1-based index among code cells... of all cells, as Jupyter counts them
    first_line: int  # 1-based line in the joined text where this cell starts
    line_count: int
    # Per line: (from column, add) pairs mapping a column of the Python back to the cell's.
    shifts: tuple[tuple[tuple[int, int], ...], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class CellProblem:
    """A code cell Jupyter would reject: it is blank in ``Source.text``."""

    cell: int
    line: int
    column: int
    message: str


@dataclass(frozen=True)
class Source:
    path: str
    text: str
    encoding: str = "utf-8"
    cells: tuple[Cell, ...] | None = None  # set for notebooks
    skip_reason: str | None = None  # a file that is fine but has nothing to analyse
    problems: tuple[CellProblem, ...] = ()  # notebooks: cells left out of ``text``
    notebook_json: str | None = field(default=None, repr=False, compare=False)  # the .ipynb text

    @property
    def is_notebook(self) -> bool:
        return self.cells is not None

    def locate(self, line: int) -> tuple[int | None, int]:
        """Map a line of ``text`` to (cell index, line within the cell); plain files: (None, line)."""
        if self.cells is None:
            return None, line
        for cell in self.cells:
            if cell.first_line <= line < cell.first_line + cell.line_count:
                return cell.index, line - cell.first_line + 1
        return None, line

    def locate_column(self, line: int, column: int) -> int:
        """Map 1-based ``column`` of ``line`` of ``text`` to the column in the cell's own source."""
        if self.cells is None:
            return column
        for cell in self.cells:
            if cell.first_line <= line < cell.first_line + cell.line_count:
                inner = line - cell.first_line
                if inner < len(cell.shifts):
                    shifted = CellPython("", cell.shifts).column(inner + 1, column - 1)
                    return shifted + 1
        return column

    @cached_property
    def positions(self) -> NotebookPositions | None:
        """Where each cell's source lies in the .ipynb text (for SARIF and GitHub annotations)."""
        return None if self.notebook_json is None else NotebookPositions(self.notebook_json)


def decode_python(raw: bytes, path: str) -> tuple[str, str]:
    """Decode Python source bytes the way the interpreter would; return (text, encoding)."""
    if b"\x00" in raw:
        raise SourceError("binary file (contains NUL bytes), not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as exc:
        # detect_encoding also refuses invalid UTF-8 in the first two lines as an "invalid or
        # missing encoding declaration": say which bytes are wrong when that is the cause.
        encoding = "utf-8"
        if raw.startswith(b"\xef\xbb\xbf") or _valid_utf8(raw):
            raise SourceError(f"bad encoding declaration: {exc.msg}") from exc
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        bad = raw[exc.start : exc.end].hex(" ")
        raise SourceError(f"cannot decode line {line} as {encoding}: invalid byte(s) {bad} ({exc.reason})",
                          line) from exc
    except LookupError as exc:
        raise SourceError(f"cannot decode as {encoding}: {exc}") from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, encoding


def _valid_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def load_source(raw: bytes, path: str) -> Source:
    if len(raw) > MAX_FILE_BYTES:
        raise SourceError(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; skipped")
    if path.endswith(".ipynb"):
        return load_notebook(raw, path)
    text, encoding = decode_python(raw, path)
    return Source(path, text, encoding)


def neutralise_magics(cell_text: str) -> str:
    """The cell as Python with the cell's own lines (blank lines if Jupyter would reject it)."""
    python = cell_to_python(cell_text)
    if python.error is not None:
        return "\n" * python.text.count("\n")
    return python.text


def load_notebook(raw: bytes, path: str) -> Source:
    try:
        json_text = raw.decode("utf-8-sig")
        nb = json.loads(json_text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"invalid notebook JSON: {exc}") from exc
    except RecursionError as exc:
        raise SourceError("invalid notebook JSON: nested too deeply to read") from exc
    if not isinstance(nb, dict):
        raise SourceError("invalid notebook: no list of cells")
    all_cells = notebook_cells(nb)
    if all_cells is None:
        raise SourceError("invalid notebook: no list of cells")
    language = notebook_language(nb)
    if language and language != "python":
        return Source(path, "", cells=(), skip_reason=f"notebook kernel language is {language}, not Python")
    finder = default_finder()
    parts: list[str] = []
    cells: list[Cell] = []
    problems: list[CellProblem] = []
    line = 1
    for index, cell in enumerate(all_cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        text = cell_source(cell, index)
        python = cell_to_python(text.replace("\r\n", "\n").replace("\r", "\n"), finder)
        code = python.text
        if python.runs and python.error is None:
            code = _follow_runs(code, python.runs, path)
        if python.error is not None:
            message, at_line, column = python.error
            problems.append(CellProblem(index, at_line, column, _problem_message(message, text)))
            code = "\n" * code.count("\n")
        count = code.count("\n") + 1
        cells.append(Cell(index, line, count, python.shifts))
        parts.append(code)
        line += count
    return Source(path, "\n".join(parts) + "\n", "utf-8", tuple(cells), problems=tuple(problems),
                  notebook_json=json_text)


_RUN_HELPER_BYTES = 1024 * 1024


def _follow_runs(code: str, runs: tuple[tuple[int, str], ...], path: str) -> str:
    """``%run helper.py`` runs the helper and copies its names into the notebook: the line
    becomes ``from .helper import f, g, __name__ as _tfdetlint_run`` (the helper's top-level
    functions and classes, read from the notebook's folder), so a later ``seed_everything()`` is
    followed into the helper as an imported seeding helper is, and the alias (``RUN_ALIAS``)
    makes the helper's own top level, run as ``__main__``, hold from that line on."""
    lines = code.split("\n")
    folder = Path(path).parent
    for line, target in runs:
        parts = Path(target).with_suffix("").parts
        if not parts or not all(part.isidentifier() for part in parts) or Path(target).is_absolute():
            continue
        names = _helper_names(folder / target)
        stripped = lines[line - 1].lstrip()
        if names is not None and stripped == "pass":
            indent = lines[line - 1][: len(lines[line - 1]) - len(stripped)]
            imported = ", ".join([*names, f"__name__ as {RUN_ALIAS}"])
            lines[line - 1] = f"{indent}from .{'.'.join(parts)} import {imported}"
    return "\n".join(lines)


def _helper_names(helper: Path) -> list[str] | None:
    """The helper's top-level functions and classes; None when it cannot be read or parsed."""
    try:
        if helper.stat().st_size > _RUN_HELPER_BYTES:
            return None
        tree = ast.parse(helper.read_bytes(), filename=str(helper))
    except (OSError, SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    defined = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return sorted({node.name for node in tree.body if isinstance(node, defined) and not node.name.startswith("__")})


_SEED_WORDS = re.compile(r"seed|determinis", re.IGNORECASE)


def _problem_message(message: str, text: str) -> str:
    note = ""
    if _SEED_WORDS.search(text):
        # Short (a message is one line); the cells after it are checked as if it set neither.
        note = "; it mentions seeds or determinism, so verdicts after it may be affected"
    return f"syntax error: {message}{note}"


def notebook_cells(nb: dict[str, Any]) -> list[Any] | None:
    """The cells as Jupyter numbers them: nbformat 4 ``cells``, or nbformat 3 ``worksheets``
    (their cells in order, code in ``input``, as nbformat's upgrade reads them)."""
    if isinstance(nb.get("cells"), list):
        return list(nb["cells"])
    worksheets = nb.get("worksheets")
    if not isinstance(worksheets, list):
        return None
    cells: list[Any] = []
    for sheet in worksheets:
        if isinstance(sheet, dict) and isinstance(sheet.get("cells"), list):
            cells += sheet["cells"]
    return cells


def source_key(cell: dict[str, Any]) -> str:
    """``input`` in an nbformat 3 code cell, ``source`` everywhere else."""
    return "input" if "source" not in cell and "input" in cell else "source"


def cell_source(cell: dict[str, Any], index: int) -> str:
    source = cell.get(source_key(cell), "")
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        return "".join(source)
    if isinstance(source, str):
        return source
    raise SourceError(f"invalid notebook: the source of cell {index} is not text "
                      "(a string or a list of strings)")


def notebook_language(nb: dict[str, object]) -> str | None:
    meta = nb.get("metadata")
    if not isinstance(meta, dict):
        return None
    for key, name in (("kernelspec", "language"), ("language_info", "name")):
        section = meta.get(key)
        if isinstance(section, dict) and isinstance(section.get(name), str):
            return str(section[name]).lower()
    return None
