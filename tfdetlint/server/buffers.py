"""Check and fix an editor buffer: its text under its file's name, as ``tfdetlint check -`` does.

Pure functions over bytes (no protocol here). Checking follows ``check_command.read_stdin``
(the file's own configuration, the same options, the same project roots, selection per file);
fixing calls the fixer ``--fix`` uses, so a quick fix edits exactly what ``--fix`` would.
"""

from __future__ import annotations

import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from tfdetlint.config import Settings
from tfdetlint.discovery import force_excluded
from tfdetlint.engine import analyse
from tfdetlint.findings import Finding
from tfdetlint.linking import link_related
from tfdetlint.noqa import add_to_line, commentable_lines
from tfdetlint.options import Analysis, problem
from tfdetlint.project import ProjectIndex
from tfdetlint.runner import options_for
from tfdetlint.server.projects import Projects

# The line breaks LSP counts lines by (str.splitlines also splits at form feeds and U+2028).
LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Checked:
    """A buffer's selected findings and the project files they were computed from."""

    findings: list[Finding]
    dependencies: frozenset[str]  # paths of project modules consulted (seeding helpers)
    settings: Settings
    excluded: bool = False


def check_buffer(raw: bytes, path: Path, projects: Projects) -> Checked:
    """The findings ``tfdetlint check --stdin-filename PATH --force-exclude - < buffer`` reports.

    Raises ``ConfigError`` when the file's configuration is wrong (the CLI exits 2 then)."""
    settings = projects.settings_for(path)
    # An editor opens any file; an excluded one is treated as pre-commit treats it: not checked.
    if force_excluded(path, settings):
        return Checked([], frozenset(), settings, excluded=True)
    index = projects.index_for(path, settings)
    try:
        analysis = analyse(raw, str(path), options_for(path, settings), index)
    except Exception as exc:  # a bug on one buffer must not take the server down (as runner.analyse_bytes)
        analysis = Analysis([problem(str(path), f"internal error while checking this file: {type(exc).__name__}: {exc}")],
                            {})
    found = link_related(sorted(f for f in analysis.findings if settings.is_selected(f.code, path)))
    return Checked(found, frozenset(analysis.dependencies), settings)


def fix_one(raw: bytes, path: Path, finding: Finding, settings: Settings) -> bytes | None:
    """The buffer with this one finding's fix applied (unsafe if the fix is), or None."""
    from tfdetlint.fix.fixer import FixError, fix_bytes

    if finding.fix is None or finding.fixable == "none":
        return None
    try:
        result = fix_bytes(raw, str(path), [finding], settings.seed, unsafe=finding.fixable == "unsafe")
    except FixError:
        return None
    except Exception:  # an action not offered is better than a failed request
        return None
    return result.new


def fix_all_safe(raw: bytes, path: Path, findings: list[Finding], settings: Settings,
                 project: ProjectIndex | None) -> bytes | None:
    """What ``tfdetlint --fix`` (safe fixes only) makes of the buffer, or None if nothing."""
    from tfdetlint.fix.command import fix_file

    if not any(f.fixable == "safe" for f in findings):
        return None
    try:
        report = fix_file(path, raw, findings, settings, unsafe=False, project=project)
    except Exception:
        return None
    return report.new if report.error is None else None


def noqa_line(text: str, line: int, code: str) -> str | None:
    """Line ``line`` (1-based) of ``text`` with ``# noqa: CODE`` added (appended to an existing
    ``# noqa: X``), as ``--add-noqa`` writes it; None where no comment can go or nothing changes."""
    try:
        allowed = commentable_lines(text)
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None  # an unfinished buffer: nothing can be said about where comments go
    lines = LINE_BREAK.split(text)
    if line not in allowed or not 1 <= line <= len(lines):
        return None
    old = lines[line - 1]
    new = add_to_line(old.encode("utf-8", "surrogatepass"), [code]).decode("utf-8", "surrogatepass")
    return new if new != old else None
