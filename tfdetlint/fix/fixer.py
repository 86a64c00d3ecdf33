"""Fix one file's bytes: decode, parse, plan, edit, check the result parses, encode back.

Nothing here touches the file system; ``command`` reads and writes.
"""

from __future__ import annotations

import ast
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from tfdetlint.catalogue import load_catalogue
from tfdetlint.findings import Finding
from tfdetlint.fix import notebook, region
from tfdetlint.fix.codemod import Outcome, apply, choose
from tfdetlint.fix.cst_guard import CannotRewrite, keep_layout
from tfdetlint.fix.imports import module_level_names
from tfdetlint.fix.locate import Parsed, Unit, parse_unit
from tfdetlint.fix.textfile import dominant_newline, read_python
from tfdetlint.sources import SourceError, load_notebook


class FixError(Exception):
    """This file cannot be fixed; the message says why. The file is left as it was."""


@dataclass
class FileFix:
    """The result for one file: ``new`` is None when nothing changes."""

    path: str
    new: bytes | None
    outcome: Outcome
    diff_texts: list[tuple[str, str, str]] = field(default_factory=list)  # (label, before, after)


def fix_bytes(raw: bytes, path: str, findings: Sequence[Finding], seed: int, unsafe: bool) -> FileFix:
    """Apply the fix intents the findings of these bytes carry. Raises ``FixError`` when the file
    cannot be fixed safely."""
    nothing = Outcome([])
    if not choose(findings, unsafe, nothing):
        # Only refused or (without --unsafe-fixes) unsafe fixes: no edit, so no libcst parse,
        # which is most of --fix's cost on a large file (and the whole of a second pass's).
        return FileFix(path, None, nothing)
    if path.endswith(".ipynb"):
        return _fix_notebook(raw, path, findings, seed, unsafe)
    return _fix_python(raw, path, findings, seed, unsafe)


def _fix_python(raw: bytes, path: str, findings: Sequence[Finding], seed: int, unsafe: bool) -> FileFix:
    try:
        text = read_python(raw, path)
    except SourceError as exc:
        raise FixError(str(exc)) from exc
    tree = _tree(text.text, path)
    masked = region.mask(text.text, tree, _needed_lines(findings))
    printed: str | None = None
    if masked is not None:
        outcome = _apply_to(Unit(masked.text, text.newline, lines=masked.lines), findings, seed, unsafe, tree)
        printed = region.unmask(outcome.texts[0], masked)
    if printed is None:  # no region worth it, or an edit moved a marker: the whole file
        outcome = _apply_to(Unit(text.text, text.newline), findings, seed, unsafe, tree)
        printed = outcome.texts[0]
    new_text = keep_layout(text.text, printed)
    if new_text == text.text:
        return FileFix(path, None, outcome)
    _must_compile(new_text, path)
    try:
        new = text.encode(new_text)
    except UnicodeEncodeError as exc:
        raise FixError(f"the fixed code cannot be encoded as {text.encoding}: {exc}") from exc
    return FileFix(path, new, outcome, [(path, text.text, new_text)])


def _apply_to(unit: Unit, findings: Sequence[Finding], seed: int, unsafe: bool, tree: ast.Module) -> Outcome:
    return apply([_parse(unit)], findings, load_catalogue(), seed, unsafe, module_level_names(tree), tree)


def _needed_lines(findings: Sequence[Finding]) -> set[int]:
    """Lines whose top-level statements a fix may read or edit (``fix.region`` keeps those)."""
    lines: set[int] = set()
    for finding in findings:
        lines.add(finding.line)
        intent = finding.fix
        if intent is None:
            continue
        if intent.target is not None:
            lines.add(intent.target.line)
        if intent.anchor is not None and intent.anchor.at is not None:
            lines.add(intent.anchor.at.line)
    return lines


def _fix_notebook(raw: bytes, path: str, findings: Sequence[Finding], seed: int, unsafe: bool) -> FileFix:
    try:
        source = load_notebook(raw, path)
        nb: Any = json.loads(raw.decode("utf-8-sig"))
    except (SourceError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FixError(str(exc)) from exc
    layout = notebook.detect_layout(raw, nb)
    cells = notebook.code_cells(nb)
    parsed: list[Parsed] = []
    for index, cell in cells.items():
        original = notebook.cell_text(cell)
        try:
            parsed.append(parse_unit(Unit(notebook.python_of(original), dominant_newline(original), index)))
        except (cst.ParserSyntaxError, RecursionError, CannotRewrite):
            continue  # findings in this cell are reported as not fixable
    tree = _tree(source.text, path)
    outcome = apply(parsed, findings, load_catalogue(), seed, unsafe, module_level_names(tree), tree)
    diffs: list[tuple[str, str, str]] = []
    for unit, printed in zip(parsed, outcome.texts, strict=True):
        new_text = keep_layout(unit.unit.text, printed)
        if new_text == unit.unit.text:
            continue
        assert unit.unit.cell is not None
        cell = cells[unit.unit.cell]
        original = notebook.cell_text(cell)
        _must_compile(new_text, f"{path} (cell {unit.unit.cell})", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        restored = notebook.restore_magics(original, unit.unit.text, new_text)
        if restored is None:
            raise FixError(f"cell {unit.unit.cell}: an edit would touch an IPython magic line")
        notebook.set_cell_text(cell, restored)
        diffs.append((f"{path}:cell {unit.unit.cell}", original, restored))
    if not diffs:
        return FileFix(path, None, outcome)
    if layout is None:
        raise FixError("the notebook's JSON layout cannot be reproduced exactly, so it is not rewritten")
    return FileFix(path, layout.dump(nb), outcome, diffs)


def _parse(unit: Unit) -> Parsed:
    try:
        return parse_unit(unit)
    except cst.ParserSyntaxError as exc:
        raise FixError(f"libcst cannot parse this file: {str(exc).splitlines()[0]}") from exc
    except RecursionError as exc:
        raise FixError("code is nested too deeply to rewrite") from exc
    except CannotRewrite as exc:
        raise FixError(str(exc)) from exc


def _must_compile(text: str, label: str, flags: int = 0) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings of the user's own code are not ours
            compile(text, label, "exec", flags=flags, dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        raise FixError(f"the fix would produce code that does not parse ({exc}); file left unchanged") from exc


def _tree(text: str, path: str) -> ast.Module:
    """The ``ast`` of all the code: its module-level names (an inserted import must not rebind
    one), the seeds in use, and its top-level statements (``fix.region``)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text, filename=path)
    except (SyntaxError, ValueError) as exc:
        raise FixError(f"cannot parse: {exc}") from exc
