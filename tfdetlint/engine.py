"""One file through the pipeline: bytes -> pre-filter -> decode -> parse -> facts -> rules -> findings."""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass

from tfdetlint.catalogue import Catalogue, load_catalogue
from tfdetlint.checks import RawFinding, run_checks
from tfdetlint.facts import collect
from tfdetlint.findings import Finding
from tfdetlint.prefilter import could_match
from tfdetlint.project import ProjectIndex
from tfdetlint.sources import Source, SourceError, load_source
from tfdetlint.suppression import file_is_exempt, suppressed

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Options:
    """What changes the findings of one file (and so is part of its cache key)."""

    keras_version: str = "3"
    force_script: bool | None = None  # None: decide from the code
    include_tests: bool = False  # test modules are not training runs: not checked unless asked

    def fingerprint(self) -> str:
        return f"keras={self.keras_version};script={self.force_script};tests={self.include_tests}"


def problem(path: str, message: str, line: int = 1, column: int = 1) -> Finding:
    catalogue = load_catalogue()
    return Finding(path, line, column, "TFD000", message, severity=catalogue.rules["TFD000"].severity)


@dataclass(frozen=True)
class Analysis:
    findings: list[Finding]
    dependencies: dict[str, str]  # project files consulted (helpers that seed) -> content digest


def check_bytes(raw: bytes, path: str, options: Options = Options(), project: ProjectIndex | None = None) -> list[Finding]:
    """All findings for one file's bytes, after ``# noqa`` (select/ignore are the caller's)."""
    return analyse(raw, path, options, project).findings


def analyse(raw: bytes, path: str, options: Options = Options(), project: ProjectIndex | None = None) -> Analysis:
    catalogue = load_catalogue()
    notebook = path.endswith(".ipynb")
    if not could_match(raw, catalogue, notebook=notebook, force_script=options.force_script):
        return Analysis([], {})
    try:
        source = load_source(raw, path)
    except SourceError as exc:
        return Analysis([problem(path, str(exc))], {})
    if project is None:
        return Analysis(check_source(source, options, catalogue), {})
    project.start_file()
    try:
        findings = check_source(source, options, catalogue, project)
    finally:
        dependencies = project.finish_file()
    return Analysis(findings, dependencies)


def check_source(source: Source, options: Options = Options(), catalogue: Catalogue | None = None,
                 project: ProjectIndex | None = None) -> list[Finding]:
    catalogue = catalogue or load_catalogue()
    if source.skip_reason is not None or not source.text.strip() or file_is_exempt(source.text):
        return []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences etc. are not our business
            tree = ast.parse(source.text, filename=source.path)
    except SyntaxError as exc:
        cell, line = source.locate(exc.lineno or 1)
        where = f" in cell {cell}" if cell is not None else ""
        return [_located(problem(source.path, f"syntax error{where}: {exc.msg}", line, max(1, exc.offset or 1)), cell)]
    except (ValueError, MemoryError, RecursionError) as exc:
        return [problem(source.path, f"cannot parse: {type(exc).__name__}: {exc}")]
    try:
        facts = collect(tree, catalogue, notebook=source.is_notebook, keras_version=options.keras_version,
                        force_script=options.force_script, path=source.path, project=project)
        raws = [] if facts.is_test_module and not options.include_tests else run_checks(facts, catalogue)
    except RecursionError:
        return [problem(source.path, "code is nested too deeply to analyse")]
    if not raws:
        return []
    lines = _LINE_BREAK.split(source.text)
    kept = [r for r in raws if not (1 <= r.line <= len(lines) and suppressed(r.code, lines[r.line - 1]))]
    findings = {_place(raw, source, lines, catalogue) for raw in kept}
    return sorted(findings)


def _char_column(lines: list[str], line: int, byte_col: int) -> int:
    """ast columns count UTF-8 bytes; users and editors count characters."""
    if not 1 <= line <= len(lines):
        return byte_col + 1
    text = lines[line - 1]
    return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1


def _place(raw: RawFinding, source: Source, lines: list[str], catalogue: Catalogue) -> Finding:
    rule = catalogue.rules[raw.code]
    cell, line = source.locate(raw.line)
    _, end_line = source.locate(raw.end_line)
    return Finding(
        path=source.path,
        line=line,
        column=_char_column(lines, raw.line, raw.col),
        code=raw.code,
        message=raw.message,
        api=raw.api,
        severity=rule.severity,
        fixable=rule.fix,
        end_line=end_line,
        end_column=_char_column(lines, raw.end_line, raw.end_col),
        cell=cell,
        args=raw.args,
    )


def _located(finding: Finding, cell: int | None) -> Finding:
    if cell is None:
        return finding
    return Finding(finding.path, finding.line, finding.column, finding.code, finding.message,
                   finding.api, finding.severity, finding.fixable, cell=cell)
