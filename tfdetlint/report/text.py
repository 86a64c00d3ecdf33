"""The default output: one line per finding, as ruff and flake8 print them, then a summary."""

from __future__ import annotations

from typing import TextIO

from tfdetlint.catalogue import Catalogue
from tfdetlint.findings import Finding
from tfdetlint.report import location


def line(finding: Finding) -> str:
    marker = " [*]" if finding.fixable == "safe" else ""
    return f"{location(finding)}: {finding.code}{marker} {finding.message}"


def render(findings: list[Finding], catalogue: Catalogue, out: TextIO) -> None:
    for finding in findings:
        out.write(line(finding) + "\n")


def summary(findings: list[Finding], unsafe_fixes: bool = False) -> str:
    if not findings:
        return "All checks passed!"
    count = len(findings)
    text = f"Found {count} finding{'s' if count != 1 else ''}."
    safe = sum(1 for f in findings if f.fixable == "safe")
    unsafe = sum(1 for f in findings if f.fixable == "unsafe")
    if safe:
        text += f"\n[*] {safe} fixable with `tfdetlint --fix`."
    if unsafe and not unsafe_fixes:
        text += f"\n({unsafe} more fixable with `--fix --unsafe-fixes`.)"
    return text


def statistics(findings: list[Finding], catalogue: Catalogue) -> str:
    counts: dict[str, int] = {}
    fixable: set[str] = set()  # codes with a finding here that --fix fixes (each finding says)
    for finding in findings:
        counts[finding.code] = counts.get(finding.code, 0) + 1
        if finding.fixable == "safe":
            fixable.add(finding.code)
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return "".join(
        f"{n:>5}\t{code}\t[{'*' if code in fixable else ' '}] {catalogue.rules[code].name}\n"
        for code, n in rows
    )
