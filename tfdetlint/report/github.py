"""``--format github``: workflow commands that GitHub Actions shows as annotations."""

from __future__ import annotations

from typing import TextIO

from tfdetlint.catalogue import Rules
from tfdetlint.findings import Finding


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(findings: list[Finding], rules: Rules, out: TextIO) -> None:
    for f in findings:
        level = "error" if f.severity == "error" else "warning"
        # A column range only on one line: GitHub rejects one on an annotation spanning several
        # lines, and the start is what the annotation is drawn at anyway. Notebooks: the place
        # in the .ipynb file as stored.
        line, column, end_line, end_column = f.file_region or (f.line, f.column, f.end_line, f.end_column)
        where = f"file={_escape_property(f.path)},line={line},col={column}"
        if f.file_region is not None and end_line >= line:
            where += f",endLine={end_line}"
            if end_line == line:
                where += f",endColumn={end_column}"
        cell = f"cell {f.cell}: " if f.cell is not None else ""
        out.write(f"::{level} {where},title={_escape_property(f.code)}::{_escape_data(cell + f.message)}\n")
