"""Notebooks: fixed cell by cell; outputs, metadata, key order and JSON layout are kept.

Only the ``source`` of edited cells changes. The file is re-serialised with the layout it was
written with (nbformat: indent=1, non-ASCII kept, trailing newline); a notebook whose layout
cannot be reproduced exactly is left alone rather than reformatted.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import libcst as cst

from tfdetlint.fix import edits
from tfdetlint.fix.imports import bindings_of
from tfdetlint.sources import neutralise_magics, notebook_cells, source_key

if TYPE_CHECKING:
    from tfdetlint.fix.locate import Parsed

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
    source = cell.get(source_key(cell), "")
    return "".join(source) if isinstance(source, list) else str(source)


def set_cell_text(cell: dict[str, Any], text: str) -> None:
    """Store ``text`` in the form the cell used: a list of lines (nbformat) or one string."""
    key = source_key(cell)
    if isinstance(cell.get(key), list):
        cell[key] = text.splitlines(keepends=True)
    else:
        cell[key] = text


def code_cells(nb: Any) -> dict[int, dict[str, Any]]:
    """The code cells by their index as Jupyter numbers cells (nbformat 3 and 4)."""
    cells = notebook_cells(nb) if isinstance(nb, dict) else None
    return {index: cell for index, cell in enumerate(cells or [], start=1)
            if isinstance(cell, dict) and cell.get("cell_type") == "code"}


def python_of(text: str) -> str:
    """The cell as Python: IPython magics become ``pass`` or blank lines, line for line."""
    return neutralise_magics(text)


def restore_magics(original: str, neutral: str, fixed: str) -> str | None:
    """Carry the edits made to ``neutral`` over to ``original`` (which still has its magics).

    A line of ``neutral`` is its original line or a suffix of it (IPython's rewrites remove a
    prefix: the cell's common indentation, ``%time ``); an edited line gets that prefix back, and
    lines inserted among lines that lost the same indentation get it too. Anything else (an edit
    of a line that became ``pass``) is None: leave the cell alone.
    """
    if original == neutral:
        return fixed
    orig_lines = original.splitlines(keepends=True)
    neutral_lines = neutral.splitlines(keepends=True)
    fixed_lines = fixed.splitlines(keepends=True)
    if len(orig_lines) != len(neutral_lines):
        return None
    prefixes = [_removed_prefix(o, n) for o, n in zip(orig_lines, neutral_lines, strict=True)]
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, neutral_lines, fixed_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out += orig_lines[i1:i2]
            continue
        block = prefixes[i1:i2]
        if any(p is None for p in block):
            return None
        if tag == "replace" and i2 - i1 == j2 - j1:
            out += [f"{p}{line}" for p, line in zip(block, fixed_lines[j1:j2], strict=True)]
            continue
        around = block or [p for p in prefixes[max(i1 - 1, 0):i1 + 1] if p is not None] or [""]
        indent = around[0] or ""
        if any(p != indent for p in around) or indent.strip():
            return None
        out += [indent + line if line.strip() else line for line in fixed_lines[j1:j2]]
    return "".join(out)


def _removed_prefix(original: str, neutral: str) -> str | None:
    if original == neutral:
        return ""
    if neutral.strip() and original.endswith(neutral):
        return original[:len(original) - len(neutral)]
    return None


# ----------------------------------------------------------------------------- where the seed goes
_PLOTTING = frozenset({"matplotlib", "seaborn", "plotly", "bokeh", "altair", "pylab", "PIL"})
_PLOT_METHODS = frozenset({"plot", "imshow", "show", "scatter", "hist", "subplots", "figure", "savefig"})
_V1_SWITCHES = frozenset({"disable_v2_behavior", "disable_eager_execution", "enable_eager_execution",
                          "disable_v2_tensorshape", "enable_resource_variables"})


def seed_point(units: Sequence[Parsed], targets: Sequence[tuple[int, int]], *, needs_tf: bool,
               tf1: bool) -> tuple[int, int, int] | None:
    """(unit, imports index, set-up index) for the global seed in a notebook: the first cell, up
    to the first flagged one, that imports TensorFlow or Keras (NumPy when the seed needs no TF),
    right after its imports (and, in TF1 code, after ``disable_v2_behavior()`` and the like);
    never a cell that plots. None: no such cell (the caller places it as in a script)."""
    first_unit, first_line = min(targets)
    plotting = _plotting_names(units)
    wanted = [("tensorflow", "keras", "tf_keras")] if needs_tf else [("numpy",), ("tensorflow", "keras", "tf_keras")]
    for roots in wanted:
        for unit in range(first_unit + 1):
            parsed = units[unit]
            body = parsed.module.body
            limit = parsed.statement_index(first_line) if unit == first_unit else len(body)
            imports = [i for i in range(limit) if edits.is_import(body[i])]
            if not imports or _plots(parsed.module, plotting):
                continue
            if not any(b.qname.split(".", 1)[0] in roots for i in imports for b in bindings_of(body[i])):
                continue
            at = imports[-1] + 1
            setup = at
            while tf1 and setup < limit and (edits.called_name(body[setup]) or "").rsplit(".", 1)[-1] in _V1_SWITCHES:
                setup += 1
            return unit, at, setup
    return None


def blank_line_style(body: Sequence[cst.BaseStatement]) -> bool:
    """Whether a cell separates its statements with blank lines (so set-up at its end does too)."""
    for stmt in body[1:]:
        lines: Sequence[cst.EmptyLine] = getattr(stmt, "leading_lines", ())
        if lines and lines[0].comment is None:
            return True
    return False


def _plotting_names(units: Sequence[Parsed]) -> set[str]:
    names: set[str] = set()
    for parsed in units:
        for stmt in parsed.module.body:
            if edits.is_import(stmt):
                names |= {b.local for b in bindings_of(stmt) if b.qname.split(".", 1)[0] in _PLOTTING}
    return names


def _plots(module: cst.Module, plotting: set[str]) -> bool:
    """A cell that draws: calls something of matplotlib, seaborn... or a ``.plot()``-like method."""
    finder = _PlotFinder(plotting)
    module.visit(finder)
    return finder.found


class _PlotFinder(cst.CSTVisitor):
    def __init__(self, plotting: set[str]) -> None:
        super().__init__()
        self.plotting = plotting
        self.found = False

    def visit_Call(self, node: cst.Call) -> None:
        name = edits.dotted_name(node.func) or ""
        if name.split(".", 1)[0] in self.plotting or name.rsplit(".", 1)[-1] in _PLOT_METHODS:
            self.found = True
