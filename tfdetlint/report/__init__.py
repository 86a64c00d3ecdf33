"""Reporters: findings in, text for people or tools out.

Each format is a function ``render(findings, rules, out)``; ``render_report`` adds what some
formats can use (colour, the files' scopes, source text read from stdin). Only ``full`` looks at
source code, to show the lines around a finding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from tfdetlint.catalogue import Rules
from tfdetlint.findings import FileScope, Finding, Ref

Reporter = Callable[[list[Finding], Rules, TextIO], None]

# ruff's names; ``text`` is kept as the old name of ``concise``.
FORMATS = ("concise", "full", "json", "json-lines", "sarif", "github", "gitlab", "junit", "pylint")
ALIASES = {"text": "concise"}
# Formats read line by line (by people, or by a CI runner that ignores other lines).
LINE_FORMATS = ("concise", "full", "text", "github", "pylint")


@dataclass(frozen=True)
class ReportContext:
    color: bool = False
    scopes: Mapping[str, FileScope] = field(default_factory=dict)  # path -> how the file was read
    sources: Mapping[str, bytes] = field(default_factory=dict)  # path -> bytes not on disk (stdin)
    group_related: bool = False  # concise: a finding with a root is shown only as its root's count


def reporters() -> dict[str, Reporter]:
    from tfdetlint.report import full, github, gitlab, json_, junit, pylint, sarif, text

    table: dict[str, Reporter] = {
        "concise": text.render, "full": full.render, "json": json_.render, "json-lines": json_.render_lines,
        "sarif": sarif.render, "github": github.render, "gitlab": gitlab.render, "junit": junit.render,
        "pylint": pylint.render,
    }
    table.update({alias: table[name] for alias, name in ALIASES.items()})
    return table


def render_report(fmt: str, findings: list[Finding], rules: Rules, out: TextIO,
                  context: ReportContext | None = None) -> None:
    from tfdetlint.report import full, text

    context = context or ReportContext()
    fmt = ALIASES.get(fmt, fmt)
    if fmt == "full":
        full.render(findings, rules, out, context)
    elif fmt == "concise":
        text.render(findings, rules, out, color=context.color, grouped=context.group_related)
    else:
        reporters()[fmt](findings, rules, out)


def location(finding: Finding | Ref) -> str:
    """``path:line:col`` or, in a notebook, ``path:cell N:line:col`` (as ruff prints notebooks)."""
    cell = f"cell {finding.cell}:" if finding.cell is not None else ""
    return f"{finding.path}:{cell}{finding.line}:{finding.column}"


def link_notes(finding: Finding) -> list[str]:
    """``related: LOCATION CODE`` for each finding this one's cause explains, or ``root: ...`` for
    the finding that names this one's cause (``full`` output's notes)."""
    notes = [f"related: {location(ref)}: {ref.code}" for ref in finding.related]
    if finding.root is not None:
        notes.append(f"root: {location(finding.root)}: {finding.root.code} (the same missing seed)")
    return notes
