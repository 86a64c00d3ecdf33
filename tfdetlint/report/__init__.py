"""Reporters: findings in, text for people or tools out. They never look at source code."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from tfdetlint.catalogue import Catalogue
from tfdetlint.findings import Finding

Reporter = Callable[[list[Finding], Catalogue, TextIO], None]


def reporters() -> dict[str, Reporter]:
    from tfdetlint.report import github, json_, sarif, text

    return {"text": text.render, "json": json_.render, "sarif": sarif.render, "github": github.render}


def location(finding: Finding) -> str:
    """``path:line:col`` or, in a notebook, ``path:cell N:line:col`` (as ruff prints notebooks)."""
    cell = f"cell {finding.cell}:" if finding.cell is not None else ""
    return f"{finding.path}:{cell}{finding.line}:{finding.column}"
