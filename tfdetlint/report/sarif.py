"""``--format sarif``: SARIF 2.1.0, as GitHub code scanning accepts it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from tfdetlint import __version__
from tfdetlint.catalogue import Rules
from tfdetlint.findings import Finding, Ref
from tfdetlint.report.help import rule_help

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
HELP_URI = "https://github.com/tfdetlint/tfdetlint/blob/main/rules/docs/{code}.md"


def _rule(code: str, rules: Rules) -> dict[str, Any]:
    rule = rules[code]
    remedy = rule_help(code)
    full = f"{rule.summary}. {remedy}." if remedy else rule.summary
    return {
        "id": code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": full},
        "helpUri": HELP_URI.format(code=code),
        "help": {
            "text": f"{remedy}. Run `tfdetlint rule {code}` for the full explanation.",
            "markdown": f"{remedy}. See [{code}]({HELP_URI.format(code=code)}) for the full explanation.",
        } if remedy else {"text": f"{rule.summary}. Run `tfdetlint rule {code}` for the full explanation."},
        "defaultConfiguration": {"level": "error" if rule.severity == "error" else "warning"},
        "properties": {"fix": rule.fix, "scope": rule.scope},
    }


def _uri(path: str) -> str:
    """A URI reference, relative to the working folder where possible (GitHub resolves it against
    the repository root); spaces, ``#``, ``%`` and the like are percent-encoded as RFC 3986 wants."""
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.relative_to(Path.cwd())
        except ValueError:
            return candidate.as_uri()
    # surrogateescape: a file name that is not valid UTF-8 is percent-encoded byte for byte.
    return quote(candidate.as_posix(), safe="/", errors="surrogateescape")


def _region(f: Finding) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": f.line, "startColumn": f.column}
    if f.file_region is not None:
        # A notebook: the place in the .ipynb file as stored (code scanning shows that file).
        line, column, end_line, end_column = f.file_region
        region = {"startLine": line, "startColumn": column}
        if (end_line, end_column) > (line, column):
            region.update(endLine=end_line, endColumn=end_column)
    elif f.end_line and f.cell is None:
        region.update(endLine=f.end_line, endColumn=max(f.end_column, 1))
    return region


def _message(f: Finding) -> str:
    return f"cell {f.cell}: {f.message}" if f.cell is not None else f.message


def _location(f: Finding) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": {"uri": _uri(f.path)}, "region": _region(f)}}


def _related(f: Finding, by_ref: dict[Ref, Finding]) -> list[dict[str, Any]]:
    """SARIF relatedLocations: on the finding that names a root cause, the findings it explains; on
    each of those, that finding (its message says which cause)."""
    refs = [*f.related, *([f.root] if f.root is not None else [])]
    linked = [(n, by_ref[ref]) for n, ref in enumerate(refs, start=1) if ref in by_ref]
    return [{"id": n, **_location(other), "message": {"text": f"{other.code}: {_message(other)}"}}
            for n, other in linked]


def _result(f: Finding, index: dict[str, int], by_ref: dict[Ref, Finding]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": index[f.code],
        "level": "error" if f.severity == "error" else "warning",
        "message": {"text": _message(f)},
        "locations": [_location(f)],
    }
    related = _related(f, by_ref)
    if related:
        result["relatedLocations"] = related
    if f.help:
        result["properties"] = {"help": f.help}  # this finding's remedy (the rule's help is general)
    return result


def document(findings: list[Finding], rules: Rules) -> dict[str, Any]:
    codes = sorted(rules)
    index = {code: i for i, code in enumerate(codes)}
    by_ref = {f.ref(): f for f in findings}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "tfdetlint",
                        "version": __version__,
                        "informationUri": "https://github.com/tfdetlint/tfdetlint",
                        "rules": [_rule(code, rules) for code in codes],
                    }
                },
                "results": [_result(f, index, by_ref) for f in findings],
            }
        ],
    }


def render(findings: list[Finding], rules: Rules, out: TextIO) -> None:
    json.dump(document(findings, rules), out, indent=2)
    out.write("\n")
