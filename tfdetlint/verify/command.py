"""Glue for the CLI's ``verify`` subcommand."""

from __future__ import annotations

import sys
from typing import TextIO

from tfdetlint.findings import Finding
from tfdetlint.verify.core import TensorFlowMissing, Verdict, verify_findings
from tfdetlint.verify.report import render_json, render_text

_FAILING = frozenset({"confirmed", "raises-under-determinism"})


_NOT_CHECKED = frozenset({"error", "skipped", "no-probe"})


def nothing_checked(verdicts: list[Verdict]) -> bool:
    """Probes were asked for and every one of them failed (broken TensorFlow: import error,
    crash, hang): no hazard was confirmed or ruled out."""
    return any(v.verdict == "error" for v in verdicts) and all(v.verdict in _NOT_CHECKED for v in verdicts)


def exit_code(verdicts: list[Verdict]) -> int:
    """1 confirmed or raises; 2 nothing could be checked although something was asked; else 0."""
    if any(v.verdict in _FAILING for v in verdicts):
        return 1
    return 2 if nothing_checked(verdicts) else 0


def run_verify_command(
    findings: list[Finding], device: str, timeout: float, fmt: str, out: TextIO,
    err: TextIO | None = None, use_cache: bool = True,
) -> int:
    """Verify ``findings`` and print the report on ``out``, problems on ``err`` (stderr);
    0 nothing confirmed, 1 confirmed or raises, 2 TensorFlow missing or nothing could be checked.
    ``use_cache`` False: the results cache is neither read nor written."""
    err = err if err is not None else sys.stderr
    try:
        verdicts = verify_findings(findings, device=device, timeout=timeout, use_cache=use_cache)
    except TensorFlowMissing as exc:
        err.write(f"{exc}\n")
        return 2
    out.write(render_json(verdicts) if fmt == "json" else render_text(verdicts))
    code = exit_code(verdicts)
    if code == 2:
        failed = sum(1 for v in verdicts if v.verdict == "error")
        err.write(f"tfdetlint verify: could not check anything: all {failed} probe run(s) failed "
                  "(is TensorFlow working? see the details above)\n")
    return code
