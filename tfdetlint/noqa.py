"""``--add-noqa``: write ``# noqa: CODE`` on each line that has a finding, as ruff does.

Works on the file's bytes: only the comment is added (ASCII, so any PEP 263 encoding, a BOM
and each line's own ending stay as they were), and an existing ``# noqa: X`` gets the new codes
appended. A line where a comment cannot go (a backslash continuation, inside a multi-line
string) is reported and left alone. Writes are atomic and refused if the file changed.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from collections.abc import Iterable
from pathlib import Path

from tfdetlint.findings import Finding
from tfdetlint.sources import SourceError, decode_python

_LINE = re.compile(rb"([^\r\n]*)(\r\n|\r|\n|$)")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_NOQA_CODES = re.compile(rb"#\s*noqa:\s?[A-Za-z][0-9A-Za-z]*(?:[,\s]+[A-Za-z][0-9A-Za-z]*)*", re.IGNORECASE)
_BARE_NOQA = re.compile(rb"#\s*noqa(?!:)", re.IGNORECASE)


def commentable_lines(text: str) -> set[int]:
    """Lines whose end is the end of a token stream line: a comment may go there."""
    normalised = _LINE_BREAK.sub("\n", text)
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(normalised).readline):
        if token.type in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT):
            lines.add(token.start[0])
        elif token.type == tokenize.ENDMARKER:
            lines.add(token.start[0] - 1 if token.start[1] == 0 else token.start[0])
    return lines


def _parses(raw: bytes, path: str) -> bool:
    try:
        text, _ = decode_python(raw, path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, SourceError, MemoryError, RecursionError):
        return False
    return True


def add_to_line(line: bytes, codes: list[str]) -> bytes:
    existing = _NOQA_CODES.search(line)
    if existing is not None:
        present = {c.decode().upper() for c in re.split(rb"[,\s]+", existing.group(0).split(b":", 1)[1]) if c}
        new = [c for c in codes if c not in present]
        if not new:
            return line
        return line[: existing.end()] + ("".join(f", {c}" for c in new)).encode() + line[existing.end():]
    if _BARE_NOQA.search(line):
        return line  # a bare noqa already silences everything
    return line.rstrip(b" \t") + f"  # noqa: {', '.join(codes)}".encode()


def noqa_bytes(raw: bytes, path: str, findings: Iterable[Finding]) -> tuple[bytes, int, list[str]]:
    """The new bytes, how many lines got a directive, and the lines that could not take one."""
    text, _ = decode_python(raw, path)
    allowed = commentable_lines(text)
    wanted: dict[int, list[str]] = {}
    for f in findings:
        codes = wanted.setdefault(f.line, [])
        if f.code not in codes:
            codes.append(f.code)
    problems: list[str] = []
    out: list[bytes] = []
    added = 0
    for number, match in enumerate(_LINE.finditer(raw), start=1):
        body, ending = match.group(1), match.group(2)
        if match.start() == len(raw) and not body and number > 1:
            break
        line_codes = wanted.get(number)
        if line_codes:
            if number in allowed:
                new = add_to_line(body, sorted(line_codes))
                added += new != body
                body = new
            else:
                problems.append(f"{path}:{number}: no comment can go on this line (continued line or inside a string)")
        out.append(body + ending)
    return b"".join(out), added, problems


def add_noqa(findings: list[Finding]) -> tuple[int, list[str]]:
    """Add directives for all findings; returns how many were added and what could not be done."""
    from tfdetlint.fix.writer import WriteRefused, digest, write_atomically

    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        if f.code != "TFD000":
            by_path.setdefault(f.path, []).append(f)
    total = 0
    problems: list[str] = []
    for path, found in by_path.items():
        if path.endswith(".ipynb") or any(f.cell is not None for f in found):
            problems.append(f"{path}: notebooks are not supported by --add-noqa; skipped")
            continue
        try:
            raw = Path(path).read_bytes()
            new, added, skipped = noqa_bytes(raw, path, found)
        except (OSError, SourceError, SyntaxError, tokenize.TokenError) as exc:
            problems.append(f"{path}: cannot add noqa directives: {exc}")
            continue
        problems += skipped
        if new == raw:
            continue
        if _parses(raw, path) and not _parses(new, path):
            problems.append(f"{path}: adding noqa directives would break the file; left unchanged")
            continue
        try:
            write_atomically(Path(path), new, digest(raw))
        except (WriteRefused, OSError) as exc:
            problems.append(f"{path}: cannot write: {exc}")
            continue
        total += added
    return total, problems
