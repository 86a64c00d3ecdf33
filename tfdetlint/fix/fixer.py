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

from tfdetlint.analysis import collect
from tfdetlint.catalogue import Catalogue, load_catalogue
from tfdetlint.checks.program import unseeded_domain
from tfdetlint.engine import Options
from tfdetlint.findings import Finding
from tfdetlint.fix import notebook
from tfdetlint.fix.codemod import Context, Edit, Outcome, apply, plan
from tfdetlint.fix.cst_guard import CannotRewrite, keep_layout
from tfdetlint.fix.imports import imports_any, imports_tf1, module_level_names
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
    hidden: list[Edit] = field(default_factory=list)
    diff_texts: list[tuple[str, str, str]] = field(default_factory=list)  # (label, before, after)


def fix_bytes(raw: bytes, path: str, findings: Sequence[Finding], options: Options, seed: int,
              unsafe: bool) -> FileFix:
    """Raises ``FixError`` when the file cannot be fixed safely."""
    if path.endswith(".ipynb"):
        return _fix_notebook(raw, path, findings, options, seed, unsafe)
    return _fix_python(raw, path, findings, options, seed, unsafe)


def _fix_python(raw: bytes, path: str, findings: Sequence[Finding], options: Options, seed: int,
                unsafe: bool) -> FileFix:
    try:
        text = read_python(raw, path)
    except SourceError as exc:
        raise FixError(str(exc)) from exc
    parsed = _parse(Unit(text.text, text.newline))
    ctx = _context(text.text, path, options, seed, notebook=False)
    outcome, hidden = _run([parsed], findings, ctx, unsafe)
    new_text = keep_layout(text.text, outcome.texts[0])
    if new_text == text.text:
        return FileFix(path, None, outcome, hidden)
    _must_compile(new_text, path)
    try:
        new = text.encode(new_text)
    except UnicodeEncodeError as exc:
        raise FixError(f"the fixed code cannot be encoded as {text.encoding}: {exc}") from exc
    return FileFix(path, new, outcome, hidden, [(path, text.text, new_text)])


def _fix_notebook(raw: bytes, path: str, findings: Sequence[Finding], options: Options, seed: int,
                  unsafe: bool) -> FileFix:
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
    ctx = _context(source.text, path, options, seed, notebook=True)
    outcome, hidden = _run(parsed, findings, ctx, unsafe)
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
        return FileFix(path, None, outcome, hidden)
    if layout is None:
        raise FixError("the notebook's JSON layout cannot be reproduced exactly, so it is not rewritten")
    return FileFix(path, layout.dump(nb), outcome, hidden, diffs)


def _parse(unit: Unit) -> Parsed:
    try:
        return parse_unit(unit)
    except cst.ParserSyntaxError as exc:
        raise FixError(f"libcst cannot parse this file: {str(exc).splitlines()[0]}") from exc
    except RecursionError as exc:
        raise FixError("code is nested too deeply to rewrite") from exc
    except CannotRewrite as exc:
        raise FixError(str(exc)) from exc


def _run(parsed: list[Parsed], findings: Sequence[Finding], ctx: Context,
         unsafe: bool) -> tuple[Outcome, list[Edit]]:
    catalogue = load_catalogue()
    planned, skipped = plan(findings, parsed, ctx, catalogue)
    chosen = [e for e in planned if e.safety == "safe" or unsafe]
    hidden = [e for e in planned if e.safety == "unsafe" and not unsafe]
    outcome = apply(parsed, chosen, ctx)
    outcome.skipped = skipped + outcome.skipped
    outcome.hidden = hidden
    return outcome, hidden


def _must_compile(text: str, label: str, flags: int = 0) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings of the user's own code are not ours
            compile(text, label, "exec", flags=flags, dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        raise FixError(f"the fix would produce code that does not parse ({exc}); file left unchanged") from exc


def _context(text: str, path: str, options: Options, seed: int, *, notebook: bool) -> Context:
    catalogue: Catalogue = load_catalogue()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError) as exc:
        raise FixError(f"cannot parse: {exc}") from exc
    facts = collect(tree, catalogue, notebook=notebook, keras_version=options.keras_version,
                    force_script=options.force_script)
    domains = frozenset(d for c in facts.calls if (d := unseeded_domain(c, facts, catalogue)))
    return Context(
        seed=seed,
        is_script=facts.is_script,
        tf1=imports_tf1(tree),
        tf_or_keras=imports_any(tree, {"tensorflow", "keras", "tf_keras"}),
        domains=domains,
        keras_follows=facts.keras_domain_follows,
        taken=module_level_names(tree),
    )
