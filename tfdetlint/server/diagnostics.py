"""Findings as LSP diagnostics: the CLI's code, message and severity, linked to the rule's page."""

from __future__ import annotations

from lsprotocol import types

from tfdetlint.findings import Finding
from tfdetlint.report.sarif import HELP_URI
from tfdetlint.server.edits import Positions

SOURCE = "tfdetlint"
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}


def finding_range(finding: Finding, positions: Positions, in_file: bool = False) -> types.Range:
    """The finding's span. ``in_file``: the document is a notebook's JSON text, so the place in
    the ``.ipynb`` file counts, not the line inside the cell."""
    if in_file and finding.file_region is not None:
        line, column, end_line, end_column = finding.file_region
    else:
        line, column, end_line, end_column = finding.line, finding.column, finding.end_line, finding.end_column
    start = positions.at(line - 1, column - 1)
    if end_line < line or (end_line == line and end_column <= column):
        # No span (TFD000: a syntax error, an unreadable file): to the end of the line.
        end = positions.line_end(line - 1)
        if end.line == start.line and end.character <= start.character:
            end = start
    else:
        end = positions.at(end_line - 1, end_column - 1)
    return types.Range(start=start, end=end)


def related_information(finding: Finding, positions: Positions, uri: str) -> list[types.DiagnosticRelatedInformation]:
    """The findings of one root cause (``tfdetlint.linking``) in this document: the missing seed's
    TFD501 lists the draws it explains, and each of those points back to it."""
    refs = [(ref, f"explained by the missing seed: {ref.code}") for ref in finding.related]
    if finding.root is not None:
        refs.append((finding.root, f"root cause: {finding.root.code} (no global seed)"))
    found = []
    for ref, text in refs:
        if ref.cell != finding.cell:
            continue  # another cell is another document
        start = positions.at(ref.line - 1, ref.column - 1)
        found.append(types.DiagnosticRelatedInformation(types.Location(uri, types.Range(start, start)), text))
    return found


def to_diagnostic(finding: Finding, positions: Positions, in_file: bool = False,
                  uri: str | None = None) -> types.Diagnostic:
    return types.Diagnostic(
        range=finding_range(finding, positions, in_file),
        message=finding.message,
        severity=_SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.code,
        code_description=types.CodeDescription(href=HELP_URI.format(code=finding.code)),
        source=SOURCE,
        data={"fixable": finding.fixable},
        related_information=related_information(finding, positions, uri) if uri is not None and not in_file else None,
    )
