"""Give libcst only the top-level statements a fix needs, and put the others back verbatim.

libcst's cost (parse, positions, parents, rewrite, print) grows with the whole file, though a
fix touches a few statements: on a 100,000-line script most of ``--fix``'s time and memory went
there (``benchmarks/RESULTS.md``). So each run of other top-level statements is replaced by one
comment line (a marker) before libcst sees the code, and the markers by the original text after.

What the fix logic reads is kept: the first two statements (a docstring, where module-top code
goes without imports), every top-level import and the statement after it (where seeding goes,
and its blank-line style), and each statement holding a line a fix edits or anchors at. The
code between statements (blank lines, comments) is kept too, so what libcst attaches to a kept
statement is what it would have in the whole file. Lines keep their columns; ``lines`` maps
each line of the masked text back to the file's line.
"""

from __future__ import annotations

import ast
import bisect
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from tfdetlint.fix.cst_guard import _LINES

MIN_SAVED_LINES = 200  # below this, one parse of the whole file costs less than the bookkeeping


@dataclass(frozen=True)
class Masked:
    text: str  # the code libcst gets
    lines: tuple[int, ...]  # file line (1-based) of each line of ``text``
    chunks: dict[str, str]  # marker (the line without its ending) -> the text it stands for


def _spans(tree: ast.Module) -> list[tuple[int, int, list[ast.stmt]]]:
    """(first line, last line, statements) of top-level statements, decorators included;
    statements that share a line (``a = 1; b = 2``) are one span."""
    spans: list[tuple[int, int, list[ast.stmt]]] = []
    for stmt in tree.body:
        decorators = getattr(stmt, "decorator_list", [])
        start = min([stmt.lineno, *(d.lineno for d in decorators)])
        end = stmt.end_lineno or stmt.lineno
        if spans and start <= spans[-1][1]:
            first, last, stmts = spans[-1]
            spans[-1] = (first, max(last, end), [*stmts, stmt])
        else:
            spans.append((start, end, [stmt]))
    return spans


def _is_import(stmt: ast.stmt) -> bool:
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return True
    return isinstance(stmt, ast.Try) and bool(stmt.body) and all(_is_import(s) for s in stmt.body)


def _holds(lines: list[int], start: int, end: int) -> bool:
    """Whether sorted ``lines`` has one in ``start..end`` (bisect: files can have many findings)."""
    index = bisect.bisect_left(lines, start)
    return index < len(lines) and lines[index] <= end


def _kept(spans: list[tuple[int, int, list[ast.stmt]]], needed: set[int]) -> list[bool]:
    lines = sorted(needed)
    keep = [index < 2 or _holds(lines, start, end) for index, (start, end, _) in enumerate(spans)]
    for index, (_, _, stmts) in enumerate(spans):
        if any(_is_import(s) for s in stmts):
            keep[index] = True
            if index + 1 < len(spans):
                keep[index + 1] = True
    return keep


def mask(text: str, tree: ast.Module, needed: Iterable[int]) -> Masked | None:
    """``text`` with the top-level statements no fix needs replaced by markers; None when that
    would save little (the caller then parses the whole file)."""
    spans = _spans(tree)
    keep = _kept(spans, set(needed))
    source = _LINES.findall(text)
    # Runs of lines to replace: from a dropped span's first line to the last line of the last
    # dropped span before the next kept one (the lines between dropped spans go with them).
    runs: list[tuple[int, int]] = []
    for index, ((start, end, _), kept) in enumerate(zip(spans, keep, strict=True)):
        if kept:
            continue
        if runs and index > 0 and not keep[index - 1]:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    if sum(end - start + 1 for start, end in runs) < MIN_SAVED_LINES:
        return None
    nonce = secrets.token_hex(8)  # a marker never equals a line of the user's code
    out: list[str] = []
    lines: list[int] = []
    chunks: dict[str, str] = {}
    line = 1
    for number, (start, end) in enumerate(runs):
        out += source[line - 1:start - 1]
        lines += range(line, start)
        chunk = "".join(source[start - 1:end])
        marker = f"# tfdetlint-region {nonce} {number}"
        chunks[marker] = chunk
        ending = re.search(r"(\r\n|\r|\n)$", chunk)
        out.append(marker + (ending.group() if ending else ""))
        lines.append(start)
        line = end + 1
    out += source[line - 1:]
    lines += range(line, len(source) + 1)
    return Masked("".join(out), tuple(lines), chunks)


def unmask(text: str, masked: Masked) -> str | None:
    """The markers in libcst's printed ``text`` replaced by what they stand for; None if a marker
    went missing or came out twice (the caller then fixes the whole file instead)."""
    out: list[str] = []
    seen: set[str] = set()
    for line in _LINES.findall(text):
        chunk = masked.chunks.get(line.rstrip("\r\n"))
        if chunk is None:
            out.append(line)
            continue
        if line.rstrip("\r\n") in seen:
            return None
        seen.add(line.rstrip("\r\n"))
        out.append(chunk)
    return "".join(out) if len(seen) == len(masked.chunks) else None
