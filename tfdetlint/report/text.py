"""``concise`` output (the default): one line per finding, as ruff and flake8 print them, then a summary."""

from __future__ import annotations

from typing import TextIO

from tfdetlint.catalogue import Rules
from tfdetlint.findings import Finding
from tfdetlint.report import location
from tfdetlint.report.style import BOLD, CYAN, RED, paint


def line(finding: Finding, color: bool = False, grouped: bool = False) -> str:
    """One finding; ``grouped``: with the number of findings its root cause explains, if any."""
    marker = " " + paint("[*]", CYAN, color) if finding.fixable == "safe" else ""
    count = f" (+{len(finding.related)} related)" if grouped and finding.related else ""
    return (f"{paint(location(finding), BOLD, color)}: {paint(finding.code, RED + BOLD, color)}{marker} "
            f"{finding.message}{count}")


def render(findings: list[Finding], rules: Rules, out: TextIO, color: bool = False,
           grouped: bool = False) -> None:
    """One line per finding; ``grouped`` (``--group-related``): the findings one missing seed
    explains are left out, counted on the line of the finding that names the seed."""
    for finding in findings:
        if grouped and finding.root is not None:
            continue
        out.write(line(finding, color, grouped) + "\n")


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


def statistics(findings: list[Finding], rules: Rules) -> str:
    """ruff's ``--statistics``: count, code, fix marker and rule name, most frequent first."""
    rows = statistics_rows(findings, rules)
    if not rows:
        return ""
    count_width = max(len(str(r["count"])) for r in rows)
    code_width = max(len(str(r["code"])) for r in rows)
    return "".join(
        f"{r['count']:>{count_width}}\t{r['code']:<{code_width}}\t[{'*' if r['fixable'] else ' '}] {r['name']}\n"
        for r in rows
    )


def statistics_rows(findings: list[Finding], rules: Rules) -> list[dict[str, object]]:
    counts: dict[str, int] = {}
    fixable: set[str] = set()  # codes with a finding here that --fix fixes (each finding says)
    for finding in findings:
        counts[finding.code] = counts.get(finding.code, 0) + 1
        if finding.fixable == "safe":
            fixable.add(finding.code)
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [
        {"code": code, "name": rules[code].name, "count": n, "fixable": code in fixable}
        for code, n in rows
    ]
