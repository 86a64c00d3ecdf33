"""``pylint``: ``path:line: [CODE] message``, the format pylint's parsers (and ruff) use."""

from __future__ import annotations

from typing import TextIO

from tfdetlint.catalogue import Rules
from tfdetlint.findings import Finding


def render(findings: list[Finding], rules: Rules, out: TextIO) -> None:
    for f in findings:
        cell = f"cell {f.cell}:" if f.cell is not None else ""
        out.write(f"{f.path}:{cell}{f.line}: [{f.code}] {f.message}\n")
