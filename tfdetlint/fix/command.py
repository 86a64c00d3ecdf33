"""``tfdetlint --fix`` / ``--diff``: fix files in place, or print what would change.

Exit codes follow ruff: ``--fix`` exits 1 only if findings remain after fixing; ``--diff`` exits
1 if it would change something (or a file could not be fixed), 0 otherwise.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from tfdetlint.catalogue import load_rules
from tfdetlint.config import Configurations, Settings
from tfdetlint.engine import check_bytes
from tfdetlint.fileio import NotReadable, read_regular
from tfdetlint.findings import Finding
from tfdetlint.fix.fixer import FixError, fix_bytes
from tfdetlint.fix.notebook import cell_text, code_cells
from tfdetlint.fix.textfile import read_python
from tfdetlint.fix.writer import WriteRefused, digest, is_read_only, write_atomically
from tfdetlint.orchestrate import collect_findings, index_for
from tfdetlint.project import ProjectIndex
from tfdetlint.project import digest as content_digest
from tfdetlint.report import reporters
from tfdetlint.runner import options_for

MAX_PASSES = 3  # a fix may reveal another (ruff loops too); ours settle in one, this is a guard


@dataclass
class FileReport:
    path: str
    original: bytes = b""
    new: bytes | None = None
    applied: list[Finding] = field(default_factory=list)
    hidden: list[Finding] = field(default_factory=list)
    skipped: list[tuple[Finding, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    remaining: list[Finding] = field(default_factory=list)
    error: str | None = None


def fix_file(path: Path, raw: bytes, findings: list[Finding], settings: Settings, unsafe: bool,
             project: ProjectIndex | None = None) -> FileReport:
    """Fix one file in memory, re-checking after each pass with the run's project index (so the
    re-check sees the project's seeding helpers as the check did); nothing is written here."""
    report = FileReport(str(path), original=raw, remaining=findings)
    options = options_for(path, settings)
    current = raw
    done: set[tuple[str, str, str]] = set()  # a fix already applied is not applied again
    for _ in range(MAX_PASSES):
        todo = [f for f in report.remaining if f.fix is None or (f.code, f.api, f.fix.kind.value) not in done]
        try:
            result = fix_bytes(current, str(path), todo, settings.seed, unsafe)
        except FixError as exc:
            if current is raw:
                report.error = str(exc)
                return report
            break  # keep the earlier passes, which did parse
        except Exception as exc:  # a bug on one file must not stop the others
            report.error = f"internal error while fixing, file left unchanged: {type(exc).__name__}: {exc}"
            report.new, report.applied, report.remaining = None, [], findings
            return report
        report.hidden = result.outcome.hidden
        report.skipped = result.outcome.skipped
        report.notes += [n for n in result.outcome.notes if n not in report.notes]
        if result.new is None:
            break
        report.applied += result.outcome.applied
        done.update((f.code, f.api, f.fix.kind.value) for f in result.outcome.applied if f.fix is not None)
        current = result.new
        report.remaining = [f for f in check_bytes(current, str(path), options, project)
                            if settings.is_selected(f.code, path)]
    report.new = current if current != raw else None
    return report


def run_fix(args: argparse.Namespace, settings: Settings) -> int:
    project = index_for(args.paths, settings)
    configs: Configurations | None = getattr(args, "configs", None)
    collected = collect_findings(args.paths, settings, configs=configs, jobs=args.jobs, use_cache=not args.no_cache,
                                 project=project)
    findings = collected.findings
    analysed = collected.digests  # path -> digest of the bytes the findings come from
    record = getattr(args, "record_findings", None)  # the CLI keeps the files' bytes (--fix-only)
    if record is not None:
        record(findings)
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    reports: list[FileReport] = []
    for path_text, found in by_path.items():
        if not any(f.fix is not None for f in found):
            reports.append(FileReport(path_text, remaining=found))
            continue
        own = configs.for_path(Path(path_text)) if configs is not None else settings  # its seed, its selection
        reports.append(_process(Path(path_text), found, own, args, project, analysed.get(path_text)))
    err = sys.stderr
    for report in reports:
        if report.error is not None:
            print(f"tfdetlint: error: {report.path}: {report.error}", file=err)
    if args.diff:
        return _finish_diff(reports, err)
    return _finish_fix(reports, args, err)


def _process(path: Path, found: list[Finding], settings: Settings, args: argparse.Namespace,
             project: ProjectIndex, analysed: str | None) -> FileReport:
    try:
        raw = read_regular(path)
        read_only = not args.diff and is_read_only(path)
    except NotReadable as exc:
        return FileReport(str(path), remaining=found, error=str(exc))
    except OSError as exc:
        return FileReport(str(path), remaining=found, error=f"cannot read: {exc.strerror or exc}")
    if analysed is not None and content_digest(raw) != analysed:
        # The findings describe other bytes: edits placed by them could land anywhere.
        return FileReport(str(path), remaining=found,
                          error="file changed since it was checked; not fixed (run tfdetlint again)")
    report = fix_file(path, raw, found, settings, args.unsafe_fixes, project)
    if report.new is None or args.diff:
        return report
    if read_only:
        return _unwritten(report, found, "file is read-only; not fixed")
    try:
        roots = None if args.fix_link_targets else checked_roots(args.paths or [Path(".")])
        write_atomically(path, report.new, digest(raw), roots)
    except WriteRefused as exc:
        return _unwritten(report, found, str(exc))
    except OSError as exc:
        return _unwritten(report, found, f"cannot write: {exc.strerror or exc}")
    return report


def checked_roots(paths: Sequence[Path]) -> list[Path]:
    """The folders a run may write in: each folder given, and the folder of each file given."""
    return [path if path.is_dir() else path.parent for path in paths]


def _unwritten(report: FileReport, found: list[Finding], why: str) -> FileReport:
    count = len(report.applied)
    return FileReport(report.path, remaining=found, error=f"{why} ({count} fix{'es' if count != 1 else ''} not applied)")


def _finish_fix(reports: list[FileReport], args: argparse.Namespace, err: TextIO) -> int:
    remaining = sorted(f for r in reports for f in r.remaining)
    rules = load_rules()
    out = sys.stdout
    if args.output_file is not None:
        out = open(args.output_file, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        reporters()[args.format](remaining, rules, out)
    finally:
        if out is not sys.stdout:
            out.close()
    if not args.quiet:
        stream = sys.stdout if args.format == "text" and args.output_file is None else err
        for line in _summary(reports, remaining, "fixed"):
            print(line, file=stream)
    return 0 if args.exit_zero or not remaining else 1


def _finish_diff(reports: list[FileReport], err: TextIO) -> int:
    changed = [r for r in reports if r.new is not None]
    for report in changed:
        sys.stdout.write(file_diff(report.path, report.original, report.new or b""))
    summary = _summary(reports, [], "would fix")
    if not changed:
        summary[0] = "No fixes to apply."
    for line in summary:
        print(line, file=err)
    return 1 if changed or any(r.error for r in reports) else 0


def _summary(reports: Sequence[FileReport], remaining: Sequence[Finding], verb: str) -> list[str]:
    fixed = sum(len(r.applied) for r in reports if r.new is not None)
    files = sum(1 for r in reports if r.new is not None)
    lines: list[str] = []
    if verb == "fixed":
        lines.append(f"Fixed {fixed} finding{'s' if fixed != 1 else ''} in {files} file{'s' if files != 1 else ''}; "
                     f"{len(remaining)} remaining." if fixed or remaining else "All checks passed!")
    else:
        lines.append(f"Would fix {fixed} finding{'s' if fixed != 1 else ''} in {files} file{'s' if files != 1 else ''}.")
    for report in reports:
        for note in report.notes:
            lines.append(f"note: {report.path}: {note}.")
    hidden = sum(len(r.hidden) for r in reports)
    if hidden:
        lines.append(f"{hidden} more fix{'es' if hidden != 1 else ''} available with `--unsafe-fixes`.")
    return lines


def file_diff(path: str, before: bytes, after: bytes) -> str:
    """A unified diff of the code (per cell for notebooks, not of the JSON)."""
    pairs: list[tuple[str, str, str]] = []
    if path.endswith(".ipynb"):
        old_cells = code_cells(json.loads(before.decode("utf-8-sig")))
        new_cells = code_cells(json.loads(after.decode("utf-8-sig")))
        for index, old in old_cells.items():
            new = new_cells[index]
            if cell_text(old) != cell_text(new):
                pairs.append((f"{path}:cell {index}", cell_text(old), cell_text(new)))
    else:
        pairs.append((path, read_python(before, path).text, read_python(after, path).text))
    return "".join(_unified(label, old, new) for label, old, new in pairs)


def _unified(label: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), label, label)
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
                   for line in lines)
