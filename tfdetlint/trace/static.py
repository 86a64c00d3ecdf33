"""Join a trace to ``tfdetlint check``: the static finding on a root op's line, and which findings
in the traced files the runs showed."""

from __future__ import annotations

import ast
import functools
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tfdetlint.findings import Finding
from tfdetlint.trace.command import FindingStatus, Seen, TraceResult
from tfdetlint.trace.compare import Location, Root, stack_of


def _frames(events: Iterable[dict[str, Any]]) -> set[tuple[str, int]]:
    lines: set[tuple[str, int]] = set()
    for event in events:
        for loc in stack_of(event):
            lines.add((loc.path, loc.line))
        for stage in event.get("pipeline", []):
            lines.update((loc.path, loc.line) for loc in stack_of(stage))
    return lines


def _covers(finding: Finding, loc: Location) -> bool:
    """Whether an op made at ``loc`` comes from the finding's call. Python reports a call that
    spans lines at its statement's first line (``keras.Sequential([...])`` builds the layers'
    weights there), so that line counts for every finding inside the statement."""
    if os.path.abspath(finding.path) != loc.path:
        return False
    end = max(finding.end_line, finding.line)
    return finding.line <= loc.line <= end or loc.line == _statement_start(loc.path, finding.line)


@functools.lru_cache(maxsize=256)
def _statements(path: str) -> tuple[tuple[int, int], ...]:
    """(first, last) lines of the simple statements in a file (no compound statement bodies)."""
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return ()
    return tuple(
        (node.lineno, node.end_lineno or node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.stmt) and not hasattr(node, "body")
    )


def _statement_start(path: str, line: int) -> int:
    spans = [span for span in _statements(path) if span[0] <= line <= span[1]]
    return min(spans, key=lambda span: span[1] - span[0])[0] if spans else line


def check_files(paths: list[Path], script: Path | None = None) -> list[Finding]:
    """What ``tfdetlint check PATHS`` reports, with the configuration found from the first file;
    the traced ``script`` counts as a script whatever it looks like, because it was run as one."""
    from dataclasses import replace

    from tfdetlint.config import load_settings
    from tfdetlint.project import project_roots
    from tfdetlint.runner import run

    if not paths:
        return []
    settings = load_settings(paths)
    if script is not None:
        settings = replace(settings, scripts=(*settings.scripts, settings.relative(script)))
    roots = project_roots(paths, settings.root if settings.config_file else None)
    result = run(paths, settings, jobs=1, cache=None, roots=roots)
    return sorted(f for f in result.findings if settings.is_selected(f.code, Path(f.path)))


def root_places(root: Root) -> list[Location]:
    """Where a root op's hazard may be written: its stack (innermost first), then pipeline stages."""
    places = list(reversed(root.stack))
    places += [stage.location for stage in root.pipeline if stage.location is not None]
    return places


def join(result: TraceResult, script: Path | None) -> None:
    """Attach findings to root ops and mark each finding in the traced files."""
    traced = result.pair("traced")
    if traced is None:
        return
    run = traced.runs[0]
    events = list(run.record.get("events", [])) + list(run.record.get("variables", []))
    reached = _frames(events)
    files = {Path(path) for path, _ in reached}
    entry = script.resolve() if script is not None and script.is_file() else None
    if entry is not None:
        files.add(entry)
    findings = check_files(sorted(f for f in files if f.is_file()), entry)
    observed: list[Location] = []
    for report in result.roots:
        places = root_places(report.root)
        report.findings = [f for f in findings if any(_covers(f, p) for p in places)]
        observed += places if report.findings else []
    if result.raised_at is not None:
        observed.append(result.raised_at)
    if result.order_only_plain:
        # Order hazards hid under tracing; the pipeline stages the program built are the suspects.
        observed += [Location(p, n) for p, n in reached]
    result.findings = [FindingStatus(f, _seen(f, observed, reached, result)) for f in findings]


def _seen(finding: Finding, observed: list[Location], reached: set[tuple[str, int]], result: TraceResult) -> Seen:
    # When only untraced runs differed, only order findings (TFD4xx) can explain it.
    explains = not result.order_only_plain or finding.code.startswith("TFD4")
    if explains and not result.reproducible and any(_covers(finding, loc) for loc in observed):
        return Seen.OBSERVED
    if any(_covers(finding, Location(p, n)) for p, n in reached):
        return Seen.NOT_OBSERVED
    return Seen.NOT_REACHED
