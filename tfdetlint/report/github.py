"""``--format github``: workflow commands that GitHub Actions shows as annotations."""

from __future__ import annotations

from typing import TextIO

from tfdetlint.catalogue import Catalogue
from tfdetlint.findings import Finding


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(findings: list[Finding], catalogue: Catalogue, out: TextIO) -> None:
    for f in findings:
        level = "error" if f.severity == "error" else "warning"
        # No endLine/endColumn: GitHub rejects a column range on an annotation spanning several
        # lines, and the start is what the annotation is drawn at anyway.
        where = f"file={_escape_property(f.path)},line={f.line},col={f.column}"
        cell = f"cell {f.cell}: " if f.cell is not None else ""
        out.write(f"::{level} {where},title={_escape_property(f.code)}::{_escape_data(cell + f.message)}\n")
