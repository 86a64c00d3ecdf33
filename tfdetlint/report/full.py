"""``full`` output: each finding with the source lines around it, its remedy and its fix, then
notes on files read as library or test modules (whose seedable randomness was not checked)."""

from __future__ import annotations

import json
import re
from typing import TextIO

from tfdetlint.catalogue import Rules
from tfdetlint.findings import Finding
from tfdetlint.report import ReportContext, link_notes, location
from tfdetlint.report.help import rule_help
from tfdetlint.report.style import BLUE, BOLD, CYAN, RED, paint
from tfdetlint.sources import SourceError, decode_python

CONTEXT_BEFORE = 2
MAX_SPAN_LINES = 4
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def source_lines(path: str, cell: int | None, context: ReportContext) -> list[str] | None:
    """The file's lines (a notebook cell's lines for ``cell``), or None when unreadable."""
    raw = context.sources.get(path)
    try:
        if raw is None:
            with open(path, "rb") as fh:
                raw = fh.read()
        if cell is not None:
            cells = json.loads(raw.decode("utf-8-sig"))["cells"]
            source = cells[cell - 1]["source"]
            text = "".join(source) if isinstance(source, list) else str(source)
        else:
            text, _ = decode_python(raw, path)
    except (OSError, ValueError, KeyError, IndexError, TypeError, SourceError):
        return None
    return _LINE_BREAK.split(text)


def _caret_prefix(text: str, column: int) -> str:
    # Keep tabs so the carets line up under the same characters.
    return "".join(ch if ch == "\t" else " " for ch in text[: column - 1])


def snippet(finding: Finding, lines: list[str], color: bool) -> tuple[list[str], int]:
    """The numbered source lines with carets under the finding, and the width of the numbers."""
    if not 1 <= finding.line <= len(lines):
        return [], 1
    first = max(1, finding.line - CONTEXT_BEFORE)
    last_line = finding.end_line if finding.end_line >= finding.line and finding.cell is None else finding.line
    last = min(len(lines), finding.line + MAX_SPAN_LINES - 1, max(finding.line, last_line))
    width = len(str(last))
    gutter = paint(" " * width + " |", BLUE, color)
    out = [gutter]
    for number in range(first, last + 1):
        text = lines[number - 1].expandtabs(4) if "\t" not in lines[number - 1][: finding.column] else lines[number - 1]
        out.append(f"{paint(f'{number:>{width}} |', BLUE, color)} {text}".rstrip())
        if number == finding.line:
            end = finding.end_column if finding.end_line == finding.line and finding.end_column > finding.column \
                else len(text) + 1
            carets = "^" * max(1, end - finding.column)
            out.append(f"{gutter} {_caret_prefix(text, finding.column)}{paint(carets + ' ' + finding.code, RED, color)}")
    out.append(gutter)
    return out, width


def fix_line(finding: Finding) -> str | None:
    if finding.fixable == "safe":
        return "fix: safe, applied by `tfdetlint --fix` (preview: `--diff`)"
    if finding.fixable == "unsafe":
        return "fix: unsafe (changes behaviour), applied by `tfdetlint --fix --unsafe-fixes`"
    return None


def render(findings: list[Finding], rules: Rules, out: TextIO, context: ReportContext | None = None) -> None:
    context = context or ReportContext()
    color = context.color
    cache: dict[tuple[str, int | None], list[str] | None] = {}
    for finding in findings:
        marker = " " + paint("[*]", CYAN, color) if finding.fixable == "safe" else ""
        out.write(f"{paint(location(finding), BOLD, color)}: {paint(finding.code, RED + BOLD, color)}{marker} "
                  f"{finding.message}\n")
        key = (finding.path, finding.cell)
        if key not in cache:
            cache[key] = source_lines(finding.path, finding.cell, context)
        lines = cache[key]
        body, width = snippet(finding, lines, color) if lines is not None else ([], 1)
        pad = " " * (width + 1)
        for text in body:
            out.write(text + "\n")
        remedy = finding.help or rule_help(finding.code)
        notes = [f"help: {remedy}"] if remedy else []
        fix = fix_line(finding)
        if fix:
            notes.append(fix)
        notes += link_notes(finding)
        for note in notes:
            out.write(f"{pad}{paint('=', BLUE, color)} {note}\n")
        out.write("\n")
    render_scope_notes(context, out, kinds=("library", "test"))


def render_scope_notes(context: ReportContext, out: TextIO, kinds: tuple[str, ...] = ("script", "library", "test")) -> None:
    color = context.color
    for path in sorted(context.scopes):
        scope = context.scopes[path]
        if scope.kind in kinds:
            out.write(f"{paint('note', CYAN + BOLD, color)}: {path}: {scope.note()}\n")
