"""Glue for the CLI's ``verify`` subcommand."""

from __future__ import annotations

from typing import TextIO

from tfdetlint.findings import Finding
from tfdetlint.verify.core import TensorFlowMissing, Verdict, verify_findings
from tfdetlint.verify.report import render_json, render_text

_FAILING = frozenset({"confirmed", "raises-under-determinism"})


def exit_code(verdicts: list[Verdict]) -> int:
    return 1 if any(v.verdict in _FAILING for v in verdicts) else 0


def run_verify_command(
    findings: list[Finding], device: str, timeout: float, fmt: str, out: TextIO
) -> int:
    """Verify ``findings`` and print the report; 0 nothing confirmed, 1 confirmed or raises,
    2 TensorFlow missing."""
    try:
        verdicts = verify_findings(findings, device=device, timeout=timeout)
    except TensorFlowMissing as exc:
        out.write(f"{exc}\n")
        return 2
    out.write(render_json(verdicts) if fmt == "json" else render_text(verdicts))
    return exit_code(verdicts)
